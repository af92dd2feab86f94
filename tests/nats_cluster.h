// A real NATS JetStream cluster on 127.0.0.1 for the replication tests: `nodes` nats-server
// processes (Debian's nats-server), each with its own client, cluster and monitoring port and
// its own JetStream directory under `directory`, routed to each other. A node can be killed
// (SIGKILL) and started again on the same ports and directory; everything is killed when the
// cluster object goes. wait_healthy() waits until every running node's /healthz says JetStream
// is current (a meta leader elected), which takes a few seconds after a start.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "local_ports.h"
#include "run_command.h"

namespace kakitome::testing {

class NatsCluster {
  public:
    NatsCluster(std::filesystem::path directory, int nodes = 3) : directory_(std::move(directory)) {
        std::filesystem::create_directories(directory_);
        for (int i = 0; i < nodes; ++i)
            nodes_.push_back({free_tcp_port(), free_tcp_port(), free_tcp_port(), -1});
        for (int i = 0; i < nodes; ++i) write_config(i);
    }
    ~NatsCluster() {
        for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) kill(i);
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }
    NatsCluster(const NatsCluster&) = delete;
    NatsCluster& operator=(const NatsCluster&) = delete;

    void start_all() {
        for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) start(i);
    }
    void start(int i) {
        if (nodes_[i].pid > 0) return;
        const std::string config = config_path(i).string();
        const std::string log = (directory_ / ("n" + std::to_string(i) + ".log")).string();
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setpgid(0, 0);
            std::FILE* out = std::fopen(log.c_str(), "a");
            ::dup2(::fileno(out), 1);
            ::dup2(::fileno(out), 2);
            ::execl("/usr/sbin/nats-server", "nats-server", "-c", config.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        nodes_[i].pid = pid;
    }
    // SIGKILL: the node's disk keeps what it had fsynced (JetStream syncs on its own schedule).
    void kill(int i) {
        if (nodes_[i].pid <= 0) return;
        ::kill(nodes_[i].pid, SIGKILL);
        ::waitpid(nodes_[i].pid, nullptr, 0);
        nodes_[i].pid = -1;
    }
    bool running(int i) const { return nodes_[i].pid > 0; }
    // Every running node answers /healthz with JetStream current.
    bool wait_healthy(std::chrono::seconds patience = std::chrono::seconds(30)) const {
        const auto give_up = std::chrono::steady_clock::now() + patience;
        while (std::chrono::steady_clock::now() < give_up) {
            bool healthy = true;
            for (const auto& node : nodes_) {
                if (node.pid <= 0) continue;
                int code = -1;
                run_command("curl -sf http://127.0.0.1:" + std::to_string(node.monitor_port) +
                                "/healthz >/dev/null",
                            &code);
                healthy = healthy && code == 0;
            }
            if (healthy) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return false;
    }
    std::vector<std::string> urls() const {
        std::vector<std::string> urls;
        for (const auto& node : nodes_)
            urls.push_back("nats://127.0.0.1:" + std::to_string(node.client_port));
        return urls;
    }
    std::string log(int i) const {
        std::ifstream in(directory_ / ("n" + std::to_string(i) + ".log"));
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }

  private:
    struct Node {
        int client_port, cluster_port, monitor_port;
        pid_t pid;
    };
    std::filesystem::path config_path(int i) const {
        return directory_ / ("n" + std::to_string(i) + ".conf");
    }
    void write_config(int i) {
        std::ofstream out(config_path(i));
        out << "server_name: n" << i << "\nlisten: 127.0.0.1:" << nodes_[i].client_port
            << "\nhttp: 127.0.0.1:" << nodes_[i].monitor_port
            << "\nmax_payload: 8MB\njetstream {\n  store_dir: \""
            << (directory_ / ("js" + std::to_string(i))).string()
            << "\"\n  max_memory_store: 64MB\n  max_file_store: 2GB\n}\n"
            << "cluster {\n  name: kakitome-test\n  listen: 127.0.0.1:" << nodes_[i].cluster_port
            << "\n  routes: [\n";
        for (std::size_t j = 0; j < nodes_.size(); ++j)
            if (static_cast<int>(j) != i)
                out << "    nats-route://127.0.0.1:" << nodes_[j].cluster_port << "\n";
        out << "  ]\n}\n";
    }
    std::filesystem::path directory_;
    std::vector<Node> nodes_;
};

}  // namespace kakitome::testing
