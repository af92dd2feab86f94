// EventStore: the append-only log of kakitome (docs/design.md §2).
//
// Contract:
// - append() and append_transaction() are atomic: all of a call's events land, in order, with
//   consecutive seqs, or none do.
// - Seqs are global and gap-free from 1; versions are per stream and gap-free from 1.
// - Each event's prev_hash is the previous event's hash, so the log is one SHA-256 chain.
// - A stream not at the expected version yields StatusCode::conflict and writes nothing.
// - In Durability::sync an acknowledged append has been fsynced to the WAL. Concurrent appenders
//   are group-committed: one leader writes every waiting append in one batch and one fsync.
// - An asynchronous append (append_async) joins the same groups without a waiting thread: its
//   completion runs once the group is durable, so hundreds of them share one fsync.
// - Timestamps never go backwards along the log, even if the wall clock does.
// - Nothing is ever updated or deleted.
// - Replicated (EventStoreOptions::replication set, docs/replication.md): an append is
//   acknowledged only after the replicated log has acknowledged its events, and only while this
//   store is the writer (become_writer); otherwise it fails unavailable, saying why. Events other
//   nodes wrote arrive through apply_replicated, checked like a verifying replay.
// All methods are thread-safe. Readers never block writers.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "events/base/status.h"
#include "events/database.h"
#include "events/domain_types.h"
#include "events/event.h"

namespace kakitome {

struct AppendResult {
    Seq first_seq;
    Seq last_seq;
    StreamVersion stream_version;  // the stream's version after this append
};

// One stream's part of a transaction.
struct StreamAppend {
    std::string stream;
    ExpectedVersion expected = ExpectedVersion::any();
    std::vector<NewEvent> events;
};

// Counters for /metrics: appends (calls), events, failures, and a latency histogram in
// Prometheus' cumulative-bucket form. Updated with relaxed atomics; reading is lock-free.
struct AppendStatistics {
    static constexpr std::array<double, 12> kBucketSeconds = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
    std::atomic<std::uint64_t> appends{0};
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> latency_sum_ns{0};
    std::array<std::atomic<std::uint64_t>, kBucketSeconds.size() + 1>
        buckets{};  // last: +Inf (not cumulative)
};

// Where a replicated store sends each group of new events before it acknowledges them (the
// NATS JetStream log, events/replication/jetstream_log.h).
class ReplicationSink {
  public:
    virtual ~ReplicationSink() = default;
    // Publishes the stored records (32 hash bytes, then the canonical envelope) of seqs first,
    // first + 1, ... in order. ok only when every one is durably in the replicated log; conflict
    // when the log does not end at first - 1 (another node wrote: this one is deposed). After any
    // error some of the records may be in the log.
    virtual Status publish(Seq first, const std::vector<std::string>& stored_records) = 0;
};

// Whether a replicated store accepts appends now, and if not, why (for 503s and /readyz).
struct WriterState {
    bool writer = false;
    std::string reason;
    // How many times the store stepped down by itself (a publish the log refused or lost).
    std::uint64_t refused_publishes = 0;
};

struct EventStoreOptions {
    Durability durability = Durability::sync;
    // Milliseconds since the Unix epoch; tests inject a fixed clock.
    std::function<std::int64_t()> clock_ms;
    // Upper bound on bytes of events written in one group commit (a single append may exceed it).
    std::size_t max_group_bytes = 8 * 1024 * 1024;
    // Set: the store is replicated and starts as a standby (appends refused until become_writer).
    std::shared_ptr<ReplicationSink> replication;
};

class EventStore {
  public:
    // Opens the store over an open database and recovers the head from the last stored event.
    static Result<std::unique_ptr<EventStore>> open(std::shared_ptr<Database> database,
                                                    EventStoreOptions options = {});
    ~EventStore();

    Result<AppendResult> append(std::string_view stream, ExpectedVersion expected,
                                std::vector<NewEvent> events);
    // Appends to several streams atomically: every part's expected version must hold, then all
    // events land (in the order given, consecutive seqs) or none do. A stream may appear once.
    // Results are in the order of the parts.
    Result<std::vector<AppendResult>> append_transaction(std::vector<StreamAppend> parts);
    // Called once with an asynchronous append's result: exactly what append_transaction would
    // have returned. It runs on the thread that committed the group (the store's commit thread,
    // or a synchronous appender leading it), so it must be quick — hand the result to another
    // thread — and must not append synchronously itself.
    using AppendCompletion = std::function<void(Result<std::vector<AppendResult>>)>;
    // Like append_transaction, without blocking the caller: queued with every other waiting
    // append and committed in the next group. A refusal found before queueing (an invalid
    // event, a full disk, a standby) completes before this returns.
    void append_transaction_async(std::vector<StreamAppend> parts, AppendCompletion done);
    void append_async(std::string_view stream, ExpectedVersion expected,
                      std::vector<NewEvent> events, std::function<void(Result<AppendResult>)> done);
    const AppendStatistics& statistics() const { return statistics_; }
    // Shorthand: append_with_expected_version(stream, v, events) == append(stream, exact(v), ...).
    Result<AppendResult> append_with_expected_version(std::string_view stream,
                                                      StreamVersion expected,
                                                      std::vector<NewEvent> events) {
        return append(stream, ExpectedVersion::exact(expected), std::move(events));
    }

    // Replicated stores only. become_writer(): appends are accepted (the caller holds the lease
    // and has applied the whole replicated log). step_down(reason): refused from now on with
    // `reason`; a publish the log refuses or does not acknowledge steps down by itself.
    void become_writer();
    void step_down(std::string reason);
    WriterState writer_state() const;
    // Stores events another node wrote, read back from the replicated log: the stored records of
    // seqs head()+1, head()+2, ... Each must decode strictly, re-encode to the same canonical
    // bytes, hash to its stored hash, link to the previous event and follow its stream's version;
    // otherwise nothing of the call is stored (corruption naming the seq). Refused (failed
    // precondition) while this store is the writer.
    Status apply_replicated(const std::vector<std::string>& stored_records);

    // Current version of a stream; StreamVersion{0} when it does not exist.
    Result<StreamVersion> stream_version(std::string_view stream) const;

    // The names of the streams that start with `prefix`, in (length, name) order: one seek per
    // stream, not a read of its events (retention walks every application this way).
    Result<std::vector<std::string>> stream_names(std::string_view prefix) const;

    // Up to max_count events of a stream with version >= from, oldest first.
    Result<std::vector<RecordedEvent>> read_stream_forward(std::string_view stream,
                                                           StreamVersion from,
                                                           std::size_t max_count) const;
    // Up to max_count events with version <= from (StreamVersion{0} = from the end), newest first.
    Result<std::vector<RecordedEvent>> read_stream_backward(std::string_view stream,
                                                            StreamVersion from,
                                                            std::size_t max_count) const;
    // Up to max_count events with seq >= from, in seq order.
    Result<std::vector<RecordedEvent>> read_all(Seq from, std::size_t max_count) const;
    Result<RecordedEvent> read_event(Seq seq) const;
    // Visits the stored records with from <= seq <= until (until Seq{0}: the head) in seq order,
    // undecoded: the seq each is stored under and its stored bytes (32 hash bytes, then the
    // canonical envelope), valid only during the call. For work that needs the bytes or the hash
    // rather than a decoded event (the ledger, a verifying replay). `visit` returns false to stop.
    Status scan_stored_events(Seq from, Seq until,
                              const std::function<bool(Seq, std::string_view)>& visit) const;

    // Seq of the last committed event; Seq{0} for an empty store.
    Seq head() const { return Seq{head_seq_.load(std::memory_order_acquire)}; }
    // Waits until head() > seq, the timeout passes, or wake_waiters() is called.
    // Returns whether head() > seq.
    bool wait_for_head_beyond(Seq seq, std::chrono::milliseconds timeout) const;
    void wake_waiters() const;

    const std::shared_ptr<Database>& database() const { return database_; }
    // The store's clock (EventStoreOptions::clock_ms, else the system clock), in ms since the
    // epoch: what the next event's `at` would be near. Budgets over "the last hour" use it.
    std::int64_t now_ms() const;

  private:
    struct PendingAppend;
    // Validates and canonicalises the parts into `pending` and checks the disk's space.
    Status prepare_append(std::vector<StreamAppend> parts, PendingAppend& pending);
    void record_statistics(bool succeeded, std::size_t events,
                           std::chrono::steady_clock::time_point started);
    AppendStatistics statistics_;
    EventStore(std::shared_ptr<Database> database, EventStoreOptions options);
    Status recover_head();
    void commit_group(std::vector<PendingAppend*>& group);
    Status commit_replicated(const std::vector<std::string>& stored_records);
    Result<std::vector<AppendResult>> lead_or_wait(PendingAppend& self);
    // The leader's turn, entered and left with writers_mutex_ held: commits the group at the
    // queue's front, dequeues it, wakes its waiters and the next leader, and runs the group's
    // asynchronous completions with the lock released.
    void lead_group(std::unique_lock<std::mutex>& lock);
    // Wakes whoever leads next: the front's thread, or the commit thread for an asynchronous one.
    void hand_on_leadership();
    // The commit thread: leads whenever the queue's front is an asynchronous append.
    void run_commit_thread();

    std::shared_ptr<Database> database_;
    EventStoreOptions options_;

    // Writers queue; the front one is the leader and commits for everybody in its group.
    std::mutex writers_mutex_;
    std::deque<PendingAppend*> writers_;
    // Started by the first asynchronous append; stopped (after the queue is drained) with the
    // store.
    std::thread commit_thread_;
    std::condition_variable commit_thread_wake_;
    bool stopping_ = false;

    // Only the current leader touches these.
    Sha256Digest head_hash_{};
    std::int64_t last_at_ms_ = 0;
    // Versions of recently written streams, so most appends skip an index seek. Updated only
    // after a write succeeds; cleared when it grows past a bound.
    std::unordered_map<std::string, std::uint64_t> stream_versions_;

    std::atomic<bool> writer_{false};
    mutable std::mutex writer_mutex_;
    std::string not_writer_reason_ = "this node has not yet taken the replicated log's lease";
    std::uint64_t refused_publishes_ = 0;

    std::atomic<std::uint64_t> head_seq_{0};
    mutable std::mutex head_mutex_;
    mutable std::condition_variable head_changed_;
    mutable std::uint64_t wake_generation_ = 0;
};

// How many events a follower reads at once: large enough to amortise a write per page, small
// enough to keep memory flat on a log of millions.
inline constexpr std::size_t kFollowerPageEvents = 10000;

// The one paging loop of every follower (follower.h): pages of up to `page_events` events with
// from <= seq <= until (until Seq{0}: the head when called), in order, each handed to `fold`;
// stops at the first error `fold` returns. The next page is read on a second thread while one
// folds; `fold` itself runs on the calling thread, a page at a time, in order. Pages are read
// around the block cache (as scan_stored_events reads), which a long pass would only churn.
Status for_each_page(const EventStore& store, Seq from, Seq until,
                     const std::function<Status(const std::vector<RecordedEvent>& page)>& fold,
                     std::size_t page_events = kFollowerPageEvents);

// What preparing a page yields: sorted tables of rows (a long catch-up's bulk, built on the
// preparing thread; Database::ingest) and the batch written after them (the rest, the position).
struct PreparedWrite {
    std::vector<SortedTable> tables;
    DatabaseBatch batch;
};

// for_each_page for a follower whose writes cost as much as its reading: `prepare` turns a
// page into what that follower writes (decoding, building and sorting rows, even writing them
// into table files) on a thread of its own, right after reading it, two pages at once, while
// the page before is written; `prepare` must therefore keep no state between calls. `write`
// gets them on the calling thread, in log order, with the seq of the page's last event (to
// store as the position). The first error of either stops it.
Status for_each_prepared_page(const EventStore& store, Seq from, Seq until,
                              const std::function<Status(const std::vector<RecordedEvent>& page,
                                                         PreparedWrite& prepared)>& prepare,
                              const std::function<Status(PreparedWrite& prepared, Seq last)>& write,
                              std::size_t page_events = kFollowerPageEvents);

// Visits every event with seq >= from, in order, a page at a time (for_each_page).
Status for_each_event(const EventStore& store, Seq from,
                      const std::function<void(const RecordedEvent&)>& visit);

// Visits every event of a stream, oldest first, a page at a time: memory stays bounded however
// long the stream (an incident's imported evidence). The first error `visit` returns stops it.
Status for_each_stream_event(const EventStore& store, std::string_view stream,
                             const std::function<Status(const RecordedEvent&)>& visit);

// Every event of a stream, oldest first (paged reads; for streams of one application or sender).
Result<std::vector<RecordedEvent>> read_whole_stream(const EventStore& store,
                                                     std::string_view stream);

// The seq of the last event at or before `time_ms` (Seq{0} when none): time travel's "as of".
// Timestamps never go backwards along the log, so it is a bisection: O(log n) reads.
Result<Seq> last_seq_at_or_before(const EventStore& store, std::int64_t time_ms);

}  // namespace kakitome
