#include "events/replication/replication_node.h"

#include "events/base/operator_log.h"

namespace kakitome::replication {

namespace {

using Clock = std::chrono::steady_clock;

// Records applied in one write: large enough to amortise the write, small enough that a
// standby's projections see new events soon.
constexpr std::size_t kApplyBatchRecords = 1000;
constexpr std::size_t kApplyBatchBytes = 8 * 1024 * 1024;
constexpr auto kLeaseRetry = std::chrono::milliseconds(200);
constexpr auto kFollowWait = std::chrono::milliseconds(50);
constexpr auto kPauseAfterRefusedPublish = std::chrono::milliseconds(1000);
// How many times the catch-up before a node serves reads the log again, a connection timeout
// apart, before it gives up: enough to outlast a restart of the NATS servers and their election.
constexpr int kMaxReopensWithoutProgress = 10;

std::string seq_text(Seq seq) {
    return std::to_string(seq.value);
}

}  // namespace

ReplicationNode::ReplicationNode(EventStore& store, JetStreamLog& log, PrimaryLease& lease,
                                 std::string node)
    : store_(store), log_(log), lease_(lease), node_(std::move(node)) {
    node_status_.node = node_;
    node_status_.reason = "this node has not yet read the replicated log";
}

ReplicationNode::~ReplicationNode() {
    stop();
}

NodeStatus ReplicationNode::status() const {
    std::lock_guard lock(status_mutex_);
    NodeStatus now = node_status_;
    now.applied = store_.head().value;
    const WriterState writer = store_.writer_state();
    now.primary = writer.writer;
    if (!writer.writer) now.reason = writer.reason;
    return now;
}

void ReplicationNode::set_standby(const std::string& reason) {
    store_.step_down(reason);
    std::lock_guard lock(status_mutex_);
    node_status_.reason = reason;
}

Status ReplicationNode::check_prefix() {
    auto end = log_.last_seq();
    if (!end.is_ok()) return end.status();
    const Seq head = store_.head();
    {
        std::lock_guard lock(status_mutex_);
        node_status_.stream_end = end->value;
    }
    if (head.value == 0) return Status::ok();
    // Where both logs have events, the hashes at the last seq they share must agree.
    const Seq compare_at = end->value >= head.value ? head : end.value();
    if (compare_at.value > 0) {
        auto theirs = log_.record_at(compare_at);
        if (!theirs.is_ok()) return theirs.status();
        auto ours = store_.read_event(compare_at);
        if (!ours.is_ok()) return ours.status();
        if (theirs->size() < 32 ||
            theirs->compare(0, 32, reinterpret_cast<const char*>(ours->hash.data()), 32) != 0)
            return Status::corruption(
                "this node's log and the replicated log differ at seq " + seq_text(compare_at) +
                ": they have diverged; this node must not join (restore it, or wipe its data "
                "directory so it is rebuilt from the replicated log)");
    }
    if (end->value >= head.value) return Status::ok();
    // The stream is a prefix of this node's log (the hashes at its end agree). A node stores
    // nothing the log has not acknowledged, so this is a history publish that was interrupted
    // (or a stream that lost its tail): it goes on from the stream's end, and the events it
    // adds continue the stream's own chain.
    return publish_history(Seq{end->value + 1});
}

Status ReplicationNode::publish_history(Seq from) {
    // Only the node holding the lease may publish; the expected-sequence check makes a second
    // node's attempt fail even so.
    // A retried start (serve retries prepare() while the log is unavailable) may hold it still:
    // creating the key again would be refused by our own entry.
    Result<bool> taken = true;
    if (lease_.held())
        KAKITOME_RETURN_IF_ERROR(lease_.renew(node_));
    else
        taken = lease_.try_acquire(node_);
    if (!taken.is_ok()) return taken.status();
    if (!taken.value())
        return Status::failed_precondition(
            "the replicated log ends before this node's head but another node holds the lease; "
            "this node's history cannot be published now");
    const Seq head = store_.head();
    logging::write(logging::Level::warning, "publishing this node's history to the replicated log",
                   {{"from", from.value}, {"events", head.value}});
    std::vector<std::string> group;
    std::size_t group_bytes = 0;
    Seq first = from;
    auto flush = [&]() -> Status {
        if (group.empty()) return Status::ok();
        KAKITOME_RETURN_IF_ERROR(log_.publish(first, group));
        if (auto renewed = lease_.renew(node_); !renewed.is_ok()) return renewed;
        first = Seq{first.value + group.size()};
        group.clear();
        group_bytes = 0;
        return Status::ok();
    };
    Status failed;
    KAKITOME_RETURN_IF_ERROR(
        store_.scan_stored_events(from, head, [&](Seq, std::string_view stored) {
            group.emplace_back(stored);
            group_bytes += stored.size();
            if (group.size() >= kApplyBatchRecords || group_bytes >= kApplyBatchBytes)
                failed = flush();
            return failed.is_ok();
        }));
    KAKITOME_RETURN_IF_ERROR(failed);
    KAKITOME_RETURN_IF_ERROR(flush());
    // Verify: the stream now ends at this node's head with the same hash.
    auto end = log_.last_seq();
    if (!end.is_ok()) return end.status();
    auto last = log_.record_at(head);
    auto ours = store_.read_event(head);
    if (!last.is_ok() || !ours.is_ok() || end.value() != head ||
        last->compare(0, 32, reinterpret_cast<const char*>(ours->hash.data()), 32) != 0)
        return Status::corruption("the published history does not end at this node's head");
    logging::write(logging::Level::warning, "published this node's history",
                   {{"events", head.value}});
    return Status::ok();
}

Status ReplicationNode::catch_up_to(Seq end, int max_reopens) {
    if (store_.head().value >= end.value) return Status::ok();
    const auto patience = log_.connection().options().timeout;
    std::unique_ptr<LogReader> reader;
    int reopens_without_progress = 0;
    auto last_report = Clock::now();
    auto last_record = Clock::now();
    std::vector<std::string> batch;
    std::size_t batch_bytes = 0;
    const auto apply_batch = [&]() -> Status {
        KAKITOME_RETURN_IF_ERROR(store_.apply_replicated(batch));
        batch.clear();
        batch_bytes = 0;
        return Status::ok();
    };
    // A silence or an unavailable reader (servers restarting, a consumer lost with its server)
    // is met by reading again from what is applied, a patience later; the catch-up fails only
    // when that has brought no record max_reopens times in a row. Any other error fails it at
    // once (a record out of order is corruption).
    const auto reopen_after = [&](const Status& trouble) -> Status {
        reader.reset();
        KAKITOME_RETURN_IF_ERROR(apply_batch());
        if (trouble.code() != StatusCode::unavailable) return trouble;
        if (++reopens_without_progress > max_reopens)
            return Status::unavailable("the replicated log stopped answering at seq " +
                                       seq_text(Seq{store_.head().value + 1}) + " (" +
                                       trouble.to_string() + ")");
        logging::write(logging::Level::warning, "reading the replicated log again",
                       {{"from", store_.head().value + 1},
                        {"attempt", reopens_without_progress},
                        {"why", trouble.to_string()}});
        return Status::ok();
    };
    while (store_.head().value + batch.size() < end.value) {
        if (!reader) {
            if (reopens_without_progress > 0) std::this_thread::sleep_for(patience);
            auto opened = LogReader::open(log_, Seq{store_.head().value + 1});
            if (!opened.is_ok()) {
                KAKITOME_RETURN_IF_ERROR(reopen_after(opened.status()));
                continue;
            }
            reader = std::move(opened).value();
            last_record = Clock::now();
        }
        auto record = reader->next(std::chrono::milliseconds(100));
        if (!record.is_ok()) {
            KAKITOME_RETURN_IF_ERROR(reopen_after(record.status()));
            continue;
        }
        if (record->has_value()) {
            batch_bytes += record->value().stored.size();
            batch.push_back(std::move(record->value().stored));
            last_record = Clock::now();
            reopens_without_progress = 0;
        } else if (Clock::now() - last_record > patience) {
            KAKITOME_RETURN_IF_ERROR(reopen_after(
                Status::unavailable("no record for " + std::to_string(patience.count()) + " ms")));
            continue;
        }
        if (batch.size() >= kApplyBatchRecords || batch_bytes >= kApplyBatchBytes ||
            store_.head().value + batch.size() >= end.value)
            KAKITOME_RETURN_IF_ERROR(apply_batch());
        if (Clock::now() - last_report > std::chrono::seconds(5)) {
            last_report = Clock::now();
            logging::write(logging::Level::info, "catching up from the replicated log",
                           {{"applied", store_.head().value}, {"end", end.value}});
        }
    }
    return apply_batch();
}

Status ReplicationNode::prepare() {
    KAKITOME_RETURN_IF_ERROR(log_.ensure_stream());
    KAKITOME_RETURN_IF_ERROR(check_prefix());
    auto end = log_.last_seq();
    if (!end.is_ok()) return end.status();
    const auto started = Clock::now();
    const Seq from = store_.head();
    KAKITOME_RETURN_IF_ERROR(catch_up_to(end.value(), kMaxReopensWithoutProgress));
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    logging::write(logging::Level::info, "caught up with the replicated log",
                   {{"from", from.value}, {"head", store_.head().value}, {"seconds", seconds}});
    auto holder = lease_.holder();
    const std::string primary = holder.is_ok() ? holder.value() : std::string();
    {
        std::lock_guard lock(status_mutex_);
        node_status_.primary_node = primary;
    }
    set_standby(lease_.held() ? "this node is catching up before it writes"
                : primary.empty() || primary == node_
                    ? "this node is a standby; it has not taken the lease yet"
                    : "this node is a standby; node " + primary +
                          " holds the lease and is the primary");
    return Status::ok();
}

void ReplicationNode::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void ReplicationNode::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (store_.writer_state().writer) {
        store_.step_down("this node is shutting down");
        if (auto released = lease_.release(); !released.is_ok())
            logging::write(logging::Level::error, "the lease was not released",
                           {{"error", released.to_string()}});
    }
    reader_.reset();
}

void ReplicationNode::run() {
    while (!stopping_) {
        if (store_.writer_state().writer)
            run_as_primary();
        else
            run_as_standby();
    }
}

Status ReplicationNode::follow_once() {
    if (!reader_) {
        auto reader = LogReader::open(log_, Seq{store_.head().value + 1});
        if (!reader.is_ok()) return reader.status();
        reader_ = std::move(reader).value();
    }
    std::vector<std::string> batch;
    std::size_t batch_bytes = 0;
    while (batch.size() < kApplyBatchRecords && batch_bytes < kApplyBatchBytes) {
        auto record = reader_->next(batch.empty() ? kFollowWait : std::chrono::milliseconds(1));
        if (!record.is_ok()) {
            reader_.reset();
            (void)store_.apply_replicated(batch);
            return record.status();
        }
        if (!record->has_value()) break;
        batch_bytes += record->value().stored.size();
        batch.push_back(std::move(record->value().stored));
    }
    if (auto applied = store_.apply_replicated(batch); !applied.is_ok()) {
        reader_.reset();
        return applied;
    }
    return Status::ok();
}

Status ReplicationNode::become_primary() {
    // The lease is ours: nobody else may append now, so the stream's end is final until we write.
    reader_.reset();
    auto end = log_.last_seq();
    if (!end.is_ok()) return end.status();
    // No second try here: the lease is not renewed meanwhile, and the node's loop tries again.
    KAKITOME_RETURN_IF_ERROR(catch_up_to(end.value(), 0));
    if (auto renewed = lease_.renew(node_); !renewed.is_ok()) return renewed;
    last_renewal_ = Clock::now();
    store_.become_writer();
    std::uint64_t terms;
    {
        std::lock_guard lock(status_mutex_);
        node_status_.primary_node = node_;
        node_status_.stream_end = end->value;
        node_status_.reason.clear();
        terms = ++node_status_.terms;
    }
    logging::write(logging::Level::warning, "this node is the primary",
                   {{"node", node_}, {"head", store_.head().value}, {"term", terms}});
    return Status::ok();
}

void ReplicationNode::run_as_standby() {
    if (auto followed = follow_once(); !followed.is_ok()) {
        set_standby("this node is a standby and cannot read the replicated log (" +
                    followed.message() + ")");
        std::this_thread::sleep_for(kLeaseRetry);
    }
    if (Clock::now() < next_lease_try_) return;
    next_lease_try_ = Clock::now() + kLeaseRetry;
    // A node that stepped down on a refused publish may still hold the lease: keep it.
    Result<bool> taken =
        lease_.held() ? Result<bool>(lease_.renew(node_).is_ok()) : lease_.try_acquire(node_);
    if (!taken.is_ok() || !taken.value()) {
        auto holder = lease_.holder();
        std::lock_guard lock(status_mutex_);
        node_status_.primary_node = holder.is_ok() ? holder.value() : std::string();
        const std::string reason = !taken.is_ok()
                                       ? "this node is a standby; the lease cannot be reached (" +
                                             taken.status().message() + ")"
                                   : holder.is_ok() && !holder->empty()
                                       ? "this node is a standby; node " + holder.value() +
                                             " holds the lease and is the primary"
                                       : "this node is a standby; the lease is changing hands";
        node_status_.reason = reason;
        store_.step_down(reason);
        return;
    }
    if (auto promoted = become_primary(); !promoted.is_ok()) {
        logging::write(logging::Level::error,
                       "this node took the lease but could not become the primary",
                       {{"error", promoted.to_string()}});
        (void)lease_.release();
        set_standby("this node could not become the primary (" + promoted.message() + ")");
    }
}

void ReplicationNode::run_as_primary() {
    const auto ttl = lease_.options().ttl;
    const auto next_renewal = last_renewal_ + ttl / 4;
    while (!stopping_ && Clock::now() < next_renewal && store_.writer_state().writer)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stopping_ || !store_.writer_state().writer) {
        if (!stopping_) {
            // The log refused or lost a publish: give the cluster a moment before this node,
            // which may still hold the lease, re-reads the log and writes again.
            next_lease_try_ = Clock::now() + kPauseAfterRefusedPublish;
            logging::write(logging::Level::error, "this node stepped down",
                           {{"reason", store_.writer_state().reason}});
        }
        return;
    }
    const Status renewed = lease_.renew(node_);
    if (renewed.is_ok()) {
        last_renewal_ = Clock::now();
        return;
    }
    if (renewed.code() == StatusCode::conflict) {
        set_standby("this node lost the lease (" + renewed.message() + "); it no longer writes");
    } else if (Clock::now() - last_renewal_ > ttl) {
        // Another node may take the lease any moment now: stop writing before it does.
        set_standby("this node could not renew the lease for a whole lease period (" +
                    renewed.message() + "); it no longer writes");
    } else {
        return;
    }
    logging::write(logging::Level::error, "this node stepped down",
                   {{"reason", store_.writer_state().reason}});
}

}  // namespace kakitome::replication
