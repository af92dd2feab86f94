// ReplicationNode: what makes one kakitome node the primary or a standby of the replicated log
// (docs/replication.md).
//
// prepare() runs before the node serves: it creates the stream when missing, checks that this
// node's log is a prefix of the replicated one (the hash at the node's head must match the
// stream's), publishes the node's history when the stream ends before the node's head (switching
// an embedded store to replicated, or finishing such a publish that was interrupted: the hashes
// at the stream's end must agree; only the node that takes the lease does it, and it verifies
// the stream's end afterwards), and applies everything the stream has beyond the node's head,
// re-verifying the chain as it goes (EventStore::apply_replicated).
//
// start() runs the node's thread until stop():
// - standby: applies what the stream gains (a standby's projections and tree stay current) and
//   tries to take the lease; once it has it, it applies the stream to its end and only then
//   becomes the writer (EventStore::become_writer).
// - primary: renews the lease every ttl/4. It steps down when the lease is lost, when it could
//   not be renewed for a whole ttl, or when the stream refused or did not acknowledge a publish
//   (the store steps down by itself then); a node that still holds the lease re-reads the
//   stream and becomes the writer again.
// stop() releases the lease of a primary, so a standby takes over without waiting for the ttl.
// status() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "events/base/status.h"
#include "events/event_store.h"
#include "events/replication/jetstream_log.h"
#include "events/replication/primary_lease.h"

namespace kakitome::replication {

struct NodeStatus {
    std::string node;
    bool primary = false;
    std::string primary_node;      // who holds the lease, as last seen ("" : nobody)
    std::uint64_t applied = 0;     // this node's head
    std::uint64_t stream_end = 0;  // the stream's last seq, as last seen
    std::string reason;            // why this node does not write, when it does not
    std::uint64_t terms = 0;       // how many times this node became the writer
};

class ReplicationNode {
  public:
    // Every part must outlive the node.
    ReplicationNode(EventStore& store, JetStreamLog& log, PrimaryLease& lease, std::string node);
    ~ReplicationNode();
    ReplicationNode(const ReplicationNode&) = delete;
    ReplicationNode& operator=(const ReplicationNode&) = delete;

    Status prepare();
    void start();
    void stop();
    NodeStatus status() const;

    // Applies the stream's records from the store's head up to `end` (inclusive), reading the log
    // again up to `max_reopens` times in a row when it is silent or unavailable. Public for
    // prepare()'s callers' tests and the benchmark of catch-up.
    Status catch_up_to(Seq end, int max_reopens);

  private:
    void run();
    void run_as_standby();
    void run_as_primary();
    Status check_prefix();
    // Publishes this node's events from..head (the stream ends at from - 1).
    Status publish_history(Seq from);
    Status become_primary();
    void set_standby(const std::string& reason);
    Status follow_once();

    EventStore& store_;
    JetStreamLog& log_;
    PrimaryLease& lease_;
    const std::string node_;
    std::unique_ptr<LogReader> reader_;  // the standby's follower, open at the head
    std::chrono::steady_clock::time_point last_renewal_{};
    std::chrono::steady_clock::time_point next_lease_try_{};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    mutable std::mutex status_mutex_;
    NodeStatus node_status_;
};

}  // namespace kakitome::replication
