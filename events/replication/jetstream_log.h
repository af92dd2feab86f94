// JetStreamLog: kakitome's log kept in a NATS JetStream stream (docs/replication.md). Message n
// of the stream is the event with seq n: its data are the event's stored record (32 hash bytes,
// then the canonical envelope) and its Nats-Msg-Id the hash in hex, so a retried publish is not
// stored twice. Each publish carries Nats-Expected-Last-Sequence = seq - 1: a compare-and-set on
// the stream's end, so two nodes can never both extend the log from the same point.
//
// Contract:
// - ensure_stream() creates the stream (file storage, `replicas` copies, deletes and purges
//   denied) when it does not exist, and otherwise uses it as it is.
// - publish(first, records) is ok only when JetStream acknowledged every record, at seqs first,
//   first + 1, ... (a quorum of the replicas stored it). conflict: the stream did not end at
//   first - 1. unavailable: no quorum or no answer in time; some records may be stored.
//   The group is pipelined: one round trip for the group, not one per record.
// - LogReader hands on the stream's records in seq order from a given seq (catch-up and a
//   standby's following); last_seq() is where the stream ends now.
// publish() from one thread at a time (the store's commit leader); the rest from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/domain_types.h"
#include "events/event_store.h"
#include "events/replication/nats_connection.h"

typedef struct __natsSubscription natsSubscription;

namespace kakitome::replication {

struct StreamOptions {
    std::string name = "KAKITOME";  // the JetStream stream
    std::string subject = "kakitome.log";
    int replicas = 3;
};

// One record read back from the stream.
struct LogRecord {
    Seq seq;
    std::string stored;  // 32 hash bytes, then the canonical envelope
};

class JetStreamLog : public ReplicationSink {
  public:
    // The connection must outlive the log.
    static Result<std::unique_ptr<JetStreamLog>> open(NatsConnection& connection,
                                                      StreamOptions options);
    ~JetStreamLog() override;

    Status ensure_stream();
    Status publish(Seq first, const std::vector<std::string>& stored_records) override;
    // The seq of the stream's last record; Seq{0} when it is empty.
    Result<Seq> last_seq() const;
    // The record stored at `seq` (not_found beyond the end).
    Result<std::string> record_at(Seq seq) const;

    NatsConnection& connection() const { return connection_; }
    const StreamOptions& options() const { return options_; }

    // Called by the client's acknowledgement thread for each record of the group in flight:
    // the seq it was published for, the seq JetStream stored it at (0 on error), the error.
    void note_acknowledgement(std::uint64_t published_seq, std::uint64_t stored_seq,
                              const Status& error);

  private:
    struct Group {
        std::size_t acknowledged = 0;
        Status error;
    };
    JetStreamLog(NatsConnection& connection, StreamOptions options)
        : connection_(connection), options_(std::move(options)) {}
    NatsConnection& connection_;
    StreamOptions options_;
    jsCtx* publisher_ = nullptr;  // its own context: the handler is per context
    std::mutex publish_mutex_;
    std::mutex group_mutex_;
    Group group_;
};

// Reads the stream in seq order from a seq on, through an ordered consumer (no acks, gaps
// re-fetched by the client). One thread.
class LogReader {
  public:
    static Result<std::unique_ptr<LogReader>> open(const JetStreamLog& log, Seq from);
    ~LogReader();
    // The next record, or nullopt when none arrived within `wait`.
    Result<std::optional<LogRecord>> next(std::chrono::milliseconds wait);

  private:
    LogReader() = default;
    natsSubscription* subscription_ = nullptr;
    std::uint64_t expected_ = 0;
};

}  // namespace kakitome::replication
