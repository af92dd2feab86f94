// NatsCluster: a NATS JetStream cluster of Debian's nats-server on 127.0.0.1, for the replicated
// benchmark, the replication tests and scripts/replicated-demo.sh (docs/replication.md). Each
// node has its own client, route and monitoring port and its own JetStream directory under
// `directory`, routes to every other node, and accepts messages up to 8 MB (an event's payload
// may be 4 MiB). Nodes can be killed (SIGKILL) and started again on the same ports and
// directory; the destructor kills every node and removes `directory`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "events/base/status.h"

namespace kakitome::bench {

class NatsCluster {
  public:
    // Writes the configurations and starts every node, on new ports again when a node cannot
    // listen on its own (up to 5 times); unavailable when nats-server is missing or never
    // listens (the nodes' logs say why).
    static Result<std::unique_ptr<NatsCluster>> start(std::filesystem::path directory,
                                                      int nodes = 3);
    ~NatsCluster();
    NatsCluster(const NatsCluster&) = delete;
    NatsCluster& operator=(const NatsCluster&) = delete;

    void start_node(int node);
    void kill_node(int node);
    bool running(int node) const { return nodes_[static_cast<std::size_t>(node)].pid > 0; }
    // Every running node's /healthz answers 200 (JetStream current, a meta leader elected).
    bool wait_healthy(std::chrono::seconds patience = std::chrono::seconds(30)) const;
    // nats://127.0.0.1:PORT of every node.
    std::vector<std::string> urls() const;
    // What node `node` wrote on stdout and stderr.
    std::string log(int node) const;

  private:
    struct Node {
        int client_port = 0, route_port = 0, monitor_port = 0;
        pid_t pid = -1;
    };
    explicit NatsCluster(std::filesystem::path directory) : directory_(std::move(directory)) {}
    std::filesystem::path config_path(int node) const;
    std::filesystem::path log_path(int node) const;
    void write_config(int node) const;
    // Every node listens on its three ports; false when one exits or patience runs out.
    bool listening(std::chrono::seconds patience);
    // Reaps the nodes whose process has ended (their pid becomes -1); true when there were any.
    bool any_exited();
    std::filesystem::path directory_;
    std::vector<Node> nodes_;
};

}  // namespace kakitome::bench
