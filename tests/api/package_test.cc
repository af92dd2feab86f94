// The Debian package as an operator receives it (issue 20): built by CPack before this test
// (ctest fixture debian_package), checked by lintian, its unit verified and scored by
// systemd-analyze, and — unpacked with dpkg-deb into a temporary root — its own binary serving
// a journey with the packaged configuration, plus only a test SMTP sink and storage endpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "server_harness.h"
#include "smtp_sink.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path the_package() {
    for (const auto& entry : fs::directory_iterator(KAKITOME_PACKAGE_DIRECTORY))
        if (entry.path().extension() == ".deb") return entry.path();
    return {};
}

class Package : public ::testing::Test {
  protected:
    void SetUp() override {
        deb_ = the_package();
        ASSERT_FALSE(deb_.empty()) << "no .deb in " << KAKITOME_PACKAGE_DIRECTORY;
        root_ = fs::temp_directory_path() /
                ("kakitome-package-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "unpacked");
        int code = -1;
        run_command("dpkg-deb -x " + deb_.string() + " " + (root_ / "unpacked").string(), &code);
        ASSERT_EQ(code, 0);
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path deb_, root_;
};

TEST_F(Package, HoldsWhatAnOperatorNeedsAndLintianAcceptsIt) {
    const fs::path unpacked = root_ / "unpacked";
    for (const char* file :
         {"usr/bin/kakitome", "lib/systemd/system/kakitome.service", "etc/kakitome/kakitome.json",
          "usr/share/man/man1/kakitome.1.gz", "usr/share/doc/kakitome/copyright"})
        EXPECT_TRUE(fs::exists(unpacked / file)) << file;
    int code = -1;
    const std::string control = run_command("dpkg-deb -f " + deb_.string() + " 2>&1", &code);
    EXPECT_EQ(code, 0);
    // Its libraries' packages are declared (dpkg-shlibdeps), and postinst's adduser.
    for (const char* dependency : {"adduser", "librocksdb", "libsystemd0", "libgmime-3.0"})
        EXPECT_NE(control.find(dependency), std::string::npos) << dependency << "\n" << control;
    const std::string conffiles =
        run_command("dpkg-deb --ctrl-tarfile " + deb_.string() + " | tar -xO ./conffiles");
    EXPECT_EQ(conffiles, "/etc/kakitome/kakitome.json\n");
    // The man page is the binary's own help: every command is in it.
    const std::string man =
        run_command("zcat " + (unpacked / "usr/share/man/man1/kakitome.1.gz").string());
    for (const char* command : {"serve", "verify", "retention", "witness", "restore"})
        EXPECT_NE(man.find(command), std::string::npos) << command;
    const std::string lint = run_command(
        "lintian --fail-on error --tag-display-limit 0 " + deb_.string() + " 2>&1", &code);
    EXPECT_EQ(code, 0) << lint;
    EXPECT_EQ(lint.find("E: "), std::string::npos) << lint;
}

// systemd-analyze verify (the unit's syntax, its binary and man page, inside the unpacked root)
// and security (offline): the hardening the issue asks for, and a score an auditor can read.
TEST_F(Package, TheUnitIsValidHardenedAndNotifies) {
    const fs::path unpacked = root_ / "unpacked";
    const fs::path unit = unpacked / "lib/systemd/system/kakitome.service";
    const std::string text = read_text(unit);
    for (const char* line :
         {"Type=notify", "NoNewPrivileges=yes", "ProtectSystem=strict",
          "ReadWritePaths=/var/lib/kakitome", "PrivateTmp=yes", "ProtectHome=yes",
          "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "UMask=0077",
          "ExecReload=/bin/kill -HUP $MAINPID"})
        EXPECT_NE(text.find(line), std::string::npos) << line;
    // The root a real system would have around the package: the host's units (sysinit.target,
    // network-online.target, ...) and /bin/kill for ExecReload; man finds the packaged page.
    int code = -1;
    run_command("cp -an /lib/systemd/system/. " + (unpacked / "lib/systemd/system").string() +
                    " && mkdir -p " + (unpacked / "bin").string() + " && cp -L /bin/kill " +
                    (unpacked / "bin/kill").string(),
                &code);
    ASSERT_EQ(code, 0);
    const std::string verified = run_command(
        "MANPATH=" + (unpacked / "usr/share/man").string() +
            " systemd-analyze verify --root=" + unpacked.string() + " " + unit.string() + " 2>&1",
        &code);
    EXPECT_EQ(code, 0) << verified;
    const std::string security =
        run_command("systemd-analyze security --offline=yes --root=" + unpacked.string() + " " +
                        unit.string() + " 2>&1",
                    &code);
    std::smatch score;
    ASSERT_TRUE(std::regex_search(security, score,
                                  std::regex(R"(Overall exposure level for \S+: ([0-9.]+))")))
        << security;
    EXPECT_LE(std::stod(score[1]), 2.0) << security;
}

// The unpacked binary, the packaged configuration with a storage endpoint and an SMTP sink
// added: serves, is ready, takes mails in, mails a link on approval, and the link works.
TEST_F(Package, UnpackedItServesAJourneyWithThePackagedConfiguration) {
    const fs::path unpacked = root_ / "unpacked";
    const std::string binary = (unpacked / "usr/bin/kakitome").string();
    json config = json::parse(std::ifstream(unpacked / "etc/kakitome/kakitome.json"), nullptr,
                              /*allow_exceptions=*/true, /*ignore_comments=*/true);
    EXPECT_EQ(config["log_level"], "info");
    SmtpSink sink(root_ / "sent", free_tcp_port());
    ASSERT_TRUE(sink.start());
    std::ofstream(root_ / "storage.secret") << "test-secret-for-presigning\n";
    config["campaign"] = {{"usage_period_last", "2027-03-31"}};
    config["mail"] = {{"smtp_url", sink.url()}};
    config["storage"] = {{"endpoint", "https://storage.test.example"},
                         {"bucket", "kenpo-pr-video"},
                         {"key", "pr-video.mp4"},
                         {"access_key_id", "AKIDKAKITOMETEST"},
                         {"secret_access_key_file", (root_ / "storage.secret").string()}};
    const fs::path data = root_ / "data";
    fs::create_directories(data);
    fs::permissions(data, fs::perms::owner_all);
    std::ofstream(root_ / "kakitome.json") << config.dump(2);
    int code = -1;
    run_command(binary + " ingest " + (fixtures_directory() / "mail").string() + " --data " +
                    data.string() + " --config " + (root_ / "kakitome.json").string(),
                &code);
    ASSERT_EQ(code, 0);

    const int port = free_tcp_port();
    const fs::path token_file = data / "initial-admin-token";
    std::vector<std::string> arguments{binary,
                                       "serve",
                                       "--data",
                                       data.string(),
                                       "--config",
                                       (root_ / "kakitome.json").string(),
                                       "--listen",
                                       "127.0.0.1:" + std::to_string(port),
                                       "--admin-token-file",
                                       token_file.string()};
    Process server(arguments, root_ / "serve.out", root_ / "serve.err");
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(eventually([&] { return http_request("GET", base + "/readyz").status == 200; }))
        << read_text(root_ / "serve.err");
    // The first admin token went to its file, 0600, and not to the output.
    const std::string admin = read_text(token_file).substr(0, read_text(token_file).find('\n'));
    ASSERT_FALSE(admin.empty());
    EXPECT_EQ(fs::status(token_file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(read_text(root_ / "serve.out").find(admin), std::string::npos);

    auto call = [&](const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "", std::vector<std::string> headers = {}) {
        headers.push_back("Authorization: Bearer " + token);
        headers.push_back("Content-Type: application/json");
        return http_request(method, base + path, headers, body);
    };
    const auto created = call("POST", "/v1/tokens", admin, R"({"name":"sato","role":"operator"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string sato = json::parse(created.body)["token"];
    std::string validated;
    ASSERT_TRUE(eventually([&] {
        const json queue = json::parse(call("GET", "/v1/queue", sato).body, nullptr, false);
        if (!queue.is_object()) return false;
        for (const auto& row : queue["items"])
            if (row["state"] == "validated") validated = row["application"];
        return !validated.empty();
    }));
    const auto read = call("GET", "/v1/applications/" + validated, sato);
    ASSERT_EQ(read.status, 200);
    const auto approved = call("POST", "/v1/applications/" + validated + "/commands/approve", sato,
                               "{}", {"If-Match: " + read.header("etag")});
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_TRUE(eventually([&] { return !sink.received().empty(); })) << "no link was mailed";
    EXPECT_EQ(server.signal(SIGTERM), 0);
    // The operator's log is JSON lines with the requests in it.
    const std::string log = read_text(root_ / "serve.err");
    EXPECT_NE(log.find(R"("message":"request")"), std::string::npos) << log;
}

}  // namespace
}  // namespace kakitome::testing
