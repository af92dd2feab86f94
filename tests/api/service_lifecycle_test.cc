// What systemd and an operator see of `kakitome serve` (issue 20): READY=1 on $NOTIFY_SOCKET
// only once the store is open and the server listens, STOPPING=1 on SIGTERM (sd_notify, the
// protocol systemd's Type=notify reads), and SIGHUP reloading the TLS certificate and the log
// level, saying what it reloaded. The shipped binary, a real datagram socket, real signals.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "events/test_store.h"
#include "server_harness.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SystemdService : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fresh_directory(std::string("service-") +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(root_);
        data_ = root_ / "data";
    }
    void TearDown() override {
        ::unsetenv("NOTIFY_SOCKET");
        std::error_code ignored;
        fs::remove(notify_socket_, ignored);
        fs::remove_all(root_);
    }
    fs::path root_, data_;
    // sun_path holds 108 bytes: a short path of its own, not one under the test's directory.
    const fs::path notify_socket_ = "/tmp/kakitome-notify-" + std::to_string(::getpid());
};

TEST_F(SystemdService, SaysReadyOnlyWhenListeningAndStoppingOnSigterm) {
    // The socket systemd would give: a datagram socket whose path is in $NOTIFY_SOCKET.
    const fs::path& socket_path = notify_socket_;
    std::error_code ignored;
    fs::remove(socket_path, ignored);
    const int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    ASSERT_EQ(::bind(notify, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    timeval wait{.tv_sec = 15, .tv_usec = 0};
    ::setsockopt(notify, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
    const int port = free_tcp_port();
    std::vector<std::string> arguments{KAKITOME_BINARY, "serve",
                                       "--data",        data_.string(),
                                       "--listen",      "127.0.0.1:" + std::to_string(port),
                                       "--config",      test_config(data_).string()};
    Process server(arguments, root_ / "serve.out", root_ / "serve.err");
    auto receive = [&] {
        char buffer[512];
        const ssize_t got = ::recv(notify, buffer, sizeof buffer, 0);
        return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
    };
    const std::string ready = receive();
    EXPECT_EQ(ready.rfind("READY=1\n", 0), 0u) << ready;
    // When systemd hears READY=1 the port already takes connections.
    EXPECT_TRUE(port_accepts(port));
    EXPECT_EQ(http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status,
              200);
    EXPECT_EQ(server.signal(SIGTERM), 0);
    EXPECT_EQ(receive(), "STOPPING=1");
    ::close(notify);
}

// Defect: serve read --config twice (once for the log level and the demo-storage check, once to
// open the services), so a configuration given as a pipe, as `--config <(sops -d kakitome.json)`
// gives it to keep the storage secret off the disk, left it waiting for a second writer, never
// listening. A SIGHUP then must not wait on the pipe either.
TEST_F(SystemdService, ServesWithItsConfigurationGivenAsAPipe) {
    const fs::path pipe = root_ / "config.pipe";
    ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
    const std::string config = read_text(test_config(data_));
    const int port = free_tcp_port();
    std::vector<std::string> arguments{KAKITOME_BINARY, "serve",
                                       "--data",        data_.string(),
                                       "--listen",      "127.0.0.1:" + std::to_string(port),
                                       "--config",      pipe.string()};
    Process server(arguments, root_ / "serve.out", root_ / "serve.err");
    // As a shell's `<(...)` does: one writer, once, then end of file.
    int writer = -1;
    ASSERT_TRUE(eventually([&] {
        writer = ::open(pipe.c_str(), O_WRONLY | O_NONBLOCK);  // ENXIO until serve opens it
        return writer >= 0;
    }));
    ::fcntl(writer, F_SETFL, 0);
    ASSERT_EQ(::write(writer, config.data(), config.size()), static_cast<ssize_t>(config.size()));
    ::close(writer);
    ASSERT_TRUE(eventually([&] { return port_accepts(port); })) << read_text(root_ / "serve.err");
    EXPECT_EQ(http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status,
              200);
    ::kill(server.pid(), SIGHUP);
    const bool reloaded = eventually([&] {
        return read_text(root_ / "serve.err").find(R"("message":"reloaded")") != std::string::npos;
    });
    // A server stuck in the reload would not take SIGTERM either (one thread takes signals).
    if (!reloaded) server.signal(SIGKILL);
    ASSERT_TRUE(reloaded) << read_text(root_ / "serve.err");
    EXPECT_NE(read_text(root_ / "serve.err").find("the configuration is a pipe"),
              std::string::npos);
    EXPECT_EQ(server.signal(SIGTERM), 0);
}

TEST_F(SystemdService, SighupReloadsTheCertificateAndTheLogLevel) {
    const auto cert = root_ / "cert.pem", key = root_ / "key.pem";
    auto make_certificate = [&](const std::string& name, const fs::path& copy) {
        int code = -1;
        run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name +
                        " -addext subjectAltName=IP:127.0.0.1 -keyout " + key.string() + " -out " +
                        cert.string() + " 2>/dev/null",
                    &code);
        fs::copy_file(cert, copy, fs::copy_options::overwrite_existing);
        return code == 0;
    };
    ASSERT_TRUE(make_certificate("first", root_ / "first.pem"));
    const int port = free_tcp_port();
    auto server =
        start_server(data_, port, root_ / "serve.out",
                     {"--tls-cert", cert.string(), "--tls-key", key.string()}, root_ / "serve.err");
    ASSERT_TRUE(server);
    const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/healthz";
    auto status_trusting = [&](const fs::path& authority) {
        ::setenv("KAKITOME_TEST_CA", authority.c_str(), 1);
        const long status = http_request("GET", url).status;
        ::unsetenv("KAKITOME_TEST_CA");
        return status;
    };
    ASSERT_EQ(status_trusting(root_ / "first.pem"), 200);
    EXPECT_NE(read_text(root_ / "serve.err").find(R"("message":"request")"), std::string::npos);

    // A renewal: new files in the same place, and the log level raised in the configuration.
    ASSERT_TRUE(make_certificate("second", root_ / "second.pem"));
    json config = json::parse(std::ifstream(test_config(data_)));
    config["log_level"] = "warning";
    std::ofstream(test_config(data_)) << config.dump(2);
    EXPECT_EQ(status_trusting(root_ / "second.pem"), 0) << "not reloaded before SIGHUP";
    ::kill(server->pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] {
        return read_text(root_ / "serve.err").find(R"("message":"reloaded")") != std::string::npos;
    }));
    const std::string log = read_text(root_ / "serve.err");
    json reloaded;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);)
        if (line.find(R"("message":"reloaded")") != std::string::npos) reloaded = json::parse(line);
    EXPECT_EQ(reloaded["reloaded"], json::array({"tls_certificate", "log_level"})) << reloaded;
    EXPECT_EQ(reloaded["log_level"], "warning");
    EXPECT_EQ(status_trusting(root_ / "second.pem"), 200) << "the new certificate is served";
    EXPECT_EQ(status_trusting(root_ / "first.pem"), 0) << "the old one is not";
    // At warning, a request is no longer a line.
    const auto lines_before = log.size();
    EXPECT_EQ(status_trusting(root_ / "second.pem"), 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(read_text(root_ / "serve.err").size(), lines_before);

    // A broken renewal changes nothing: the error is logged and the old certificate stays.
    std::ofstream(cert) << "not a certificate";
    ::kill(server->pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] {
        return read_text(root_ / "serve.err").find("TLS certificate was not reloaded") !=
               std::string::npos;
    }));
    EXPECT_EQ(status_trusting(root_ / "second.pem"), 200);
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

}  // namespace
}  // namespace kakitome::testing
