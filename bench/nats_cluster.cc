#include "bench/nats_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

namespace kakitome::bench {

namespace {

constexpr const char* kNatsServer = "/usr/sbin/nats-server";

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// A socket connected to 127.0.0.1:port, or -1.
int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
    ::close(fd);
    return -1;
}

bool accepts(int port) {
    const int fd = connect_to(port);
    if (fd >= 0) ::close(fd);
    return fd >= 0;
}

// The status line of GET /healthz on the monitoring port says 200.
bool healthy(int port) {
    const int fd = connect_to(port);
    bool ok = false;
    if (fd >= 0) {
        const std::string request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            char answer[64] = {};
            const ssize_t got = ::read(fd, answer, sizeof answer - 1);
            ok = got > 12 && std::string(answer, static_cast<std::size_t>(got)).find(" 200 ") !=
                                 std::string::npos;
        }
        ::close(fd);
    }
    return ok;
}

}  // namespace

Result<std::unique_ptr<NatsCluster>> NatsCluster::start(std::filesystem::path directory,
                                                        int nodes) {
    if (::access(kNatsServer, X_OK) != 0)
        return Status::unavailable(std::string(kNatsServer) +
                                   " is not installed (apt-get install nats-server)");
    std::unique_ptr<NatsCluster> cluster(new NatsCluster(std::move(directory)));
    std::error_code error;
    std::filesystem::create_directories(cluster->directory_, error);
    if (error) return Status::io_error("cannot create " + cluster->directory_.string());
    // A free port is only known free until it is closed again: another process (a parallel
    // test's cluster, a client's outgoing connection) may take it before nats-server binds it,
    // and nats-server then exits at once. Such a start is tried again on new ports.
    std::string refusals;
    for (int attempt = 1; attempt <= 5; ++attempt) {
        cluster->nodes_.clear();
        for (int i = 0; i < nodes; ++i)
            cluster->nodes_.push_back({free_port(), free_port(), free_port()});
        for (int i = 0; i < nodes; ++i) {
            std::filesystem::remove(cluster->log_path(i), error);
            std::filesystem::remove_all(cluster->directory_ / ("js" + std::to_string(i)), error);
            cluster->write_config(i);
        }
        for (int i = 0; i < nodes; ++i) cluster->start_node(i);
        if (cluster->listening(std::chrono::seconds(10))) return cluster;
        for (int i = 0; i < nodes; ++i) {
            refusals += "attempt " + std::to_string(attempt) + ", node " + std::to_string(i) +
                        ": " + cluster->log(i) + "\n";
            cluster->kill_node(i);
        }
    }
    return Status::unavailable("nats-server did not start on 127.0.0.1:\n" + refusals);
}

bool NatsCluster::listening(std::chrono::seconds patience) {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    bool all = false;
    while (!all && std::chrono::steady_clock::now() < give_up) {
        if (any_exited()) return false;
        all = true;
        for (const Node& node : nodes_)
            all = all && accepts(node.client_port) && accepts(node.route_port) &&
                  accepts(node.monitor_port);
        if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!all) return false;
    // A port another process took also accepts: the node that could not bind it exits a moment
    // later. A node still running after that moment listens on its own ports.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return !any_exited();
}

bool NatsCluster::any_exited() {
    bool exited = false;
    for (Node& node : nodes_)
        if (node.pid > 0 && ::waitpid(node.pid, nullptr, WNOHANG) == node.pid) {
            node.pid = -1;
            exited = true;
        }
    return exited;
}

NatsCluster::~NatsCluster() {
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) kill_node(i);
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

std::filesystem::path NatsCluster::config_path(int node) const {
    return directory_ / ("n" + std::to_string(node) + ".conf");
}

std::filesystem::path NatsCluster::log_path(int node) const {
    return directory_ / ("n" + std::to_string(node) + ".log");
}

void NatsCluster::write_config(int node) const {
    const Node& self = nodes_[static_cast<std::size_t>(node)];
    std::ofstream out(config_path(node));
    out << "server_name: n" << node << "\nlisten: 127.0.0.1:" << self.client_port
        << "\nhttp: 127.0.0.1:" << self.monitor_port << "\nmax_payload: 8MB\n"
        << "jetstream {\n  store_dir: \"" << (directory_ / ("js" + std::to_string(node))).string()
        << "\"\n  max_memory_store: 64MB\n  max_file_store: 8GB\n}\n"
        << "cluster {\n  name: kakitome\n  listen: 127.0.0.1:" << self.route_port
        << "\n  routes: [\n";
    for (std::size_t other = 0; other < nodes_.size(); ++other)
        if (static_cast<int>(other) != node)
            out << "    nats-route://127.0.0.1:" << nodes_[other].route_port << "\n";
    out << "  ]\n}\n";
}

void NatsCluster::start_node(int node) {
    Node& self = nodes_[static_cast<std::size_t>(node)];
    if (self.pid > 0) return;
    const std::string config = config_path(node).string();
    const std::string log = log_path(node).string();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        std::FILE* out = std::fopen(log.c_str(), "a");
        if (out != nullptr) {
            ::dup2(::fileno(out), 1);
            ::dup2(::fileno(out), 2);
        }
        ::execl(kNatsServer, "nats-server", "-c", config.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    self.pid = pid;
}

void NatsCluster::kill_node(int node) {
    Node& self = nodes_[static_cast<std::size_t>(node)];
    if (self.pid <= 0) return;
    ::kill(self.pid, SIGKILL);
    ::waitpid(self.pid, nullptr, 0);
    self.pid = -1;
}

bool NatsCluster::wait_healthy(std::chrono::seconds patience) const {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < give_up) {
        bool all = true;
        for (const Node& node : nodes_)
            if (node.pid > 0) all = all && healthy(node.monitor_port);
        if (all) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

std::vector<std::string> NatsCluster::urls() const {
    std::vector<std::string> urls;
    for (const Node& node : nodes_)
        urls.push_back("nats://127.0.0.1:" + std::to_string(node.client_port));
    return urls;
}

std::string NatsCluster::log(int node) const {
    std::ifstream in(log_path(node));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace kakitome::bench
