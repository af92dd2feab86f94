// NatsConnection: one connection to a NATS cluster with its JetStream context, for the
// replicated log and the primary's lease (docs/replication.md). It reconnects by itself to any
// server of the list, for ever: a cluster that loses a node, or all of them for a while, is
// reached again when it returns, and calls in between fail unavailable instead of blocking
// longer than the timeout.
//
// Thread-safe (the NATS C client's connection and context are).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "events/base/status.h"

typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;

namespace kakitome::replication {

struct NatsOptions {
    // nats://host:port of every server of the cluster (any one that answers will do).
    std::vector<std::string> servers;
    // Shown in the servers' connection lists (the node's name).
    std::string client_name = "kakitome";
    // The longest any one request (a publish's acknowledgement, a stream lookup) may wait.
    std::chrono::milliseconds timeout{5000};
};

class NatsConnection {
  public:
    // unavailable when no server of the list answers.
    static Result<std::unique_ptr<NatsConnection>> connect(const NatsOptions& options);
    ~NatsConnection();
    NatsConnection(const NatsConnection&) = delete;
    NatsConnection& operator=(const NatsConnection&) = delete;

    natsConnection* connection() const { return connection_; }
    jsCtx* jetstream() const { return jetstream_; }
    const NatsOptions& options() const { return options_; }

  private:
    explicit NatsConnection(NatsOptions options) : options_(std::move(options)) {}
    NatsOptions options_;
    natsConnection* connection_ = nullptr;
    jsCtx* jetstream_ = nullptr;
};

// A Status for a failed NATS call: `what` failed, with the client's text and the JetStream
// error code when there is one. Timeouts, lost connections and a cluster without quorum are
// unavailable; a wrong expected sequence is conflict; anything else is internal.
Status status_from_nats(int nats_status, int jetstream_error, const std::string& what);

// The words of the last failed call on this thread (the server's refusal, or the client's
// reason), without the client's "(file.c:line): " before them; empty when there are none. Only
// right after a call made on this thread: the text is the thread's own.
std::string last_error_words();

// Whether a key-value call failed on its compare-and-set (the key exists, or is not at the
// revision given): the client reports JetStream's wrong-last-sequence there only as NATS_ERR
// with the server's text.
bool key_value_compare_and_set_failed(int nats_status);

}  // namespace kakitome::replication
