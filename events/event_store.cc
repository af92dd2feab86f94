#include "events/event_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <future>
#include <limits>
#include <unordered_map>

#include "events/base/operator_log.h"
#include "events/base/timestamp.h"
#include "events/rocksdb_status.h"
#include "events/storage_keys.h"

namespace kakitome {

namespace keys = storage_keys;

constexpr std::size_t kMaxCachedStreams = 100000;

struct EventStore::PendingAppend {
    std::vector<StreamAppend> parts;
    // Set: not an append but records read back from the replicated log (apply_replicated); such
    // an entry is always committed alone.
    const std::vector<std::string>* replicated = nullptr;
    std::size_t bytes = 0;
    Result<std::vector<AppendResult>> result{Status::internal("append was not committed")};
    bool done = false;
    std::condition_variable cv;
    // Set: an asynchronous append, owned by the queue (no thread waits on `cv`).
    AppendCompletion completion;
};

namespace {

// Newest version of a stream as stored; 0 when absent.
Result<std::uint64_t> stored_stream_version(const Database& database, std::string_view stream) {
    std::unique_ptr<rocksdb::Iterator> it(
        database.db()->NewIterator(rocksdb::ReadOptions(), database.streams()));
    const std::string prefix = keys::stream_prefix(stream);
    it->SeekForPrev(keys::stream_key(stream, std::numeric_limits<std::uint64_t>::max()));
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading stream version");
    if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) {
        return std::uint64_t{0};
    }
    auto version = keys::read_big_endian(std::string_view(it->key().data() + prefix.size(), 8));
    return *version;
}

}  // namespace

EventStore::EventStore(std::shared_ptr<Database> database, EventStoreOptions options)
    : database_(std::move(database)), options_(std::move(options)) {}

EventStore::~EventStore() {
    {
        std::lock_guard lock(writers_mutex_);
        stopping_ = true;
    }
    commit_thread_wake_.notify_one();
    if (commit_thread_.joinable()) commit_thread_.join();
    wake_waiters();
}

Result<std::unique_ptr<EventStore>> EventStore::open(std::shared_ptr<Database> database,
                                                     EventStoreOptions options) {
    if (!database) return Status::invalid_argument("no database");
    std::unique_ptr<EventStore> store(new EventStore(std::move(database), std::move(options)));
    KAKITOME_RETURN_IF_ERROR(store->recover_head());
    return store;
}

Status EventStore::recover_head() {
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->events()));
    it->SeekToLast();
    if (!it->status().ok()) return from_rocksdb(it->status(), "finding the last event");
    std::uint64_t seq = 0;
    if (it->Valid()) {
        auto key = keys::read_big_endian(std::string_view(it->key().data(), it->key().size()));
        auto event = decode_stored_event(std::string_view(it->value().data(), it->value().size()));
        if (!key || !event.is_ok() || event->seq.value != *key) {
            return Status::corruption("the last stored event does not decode; run kakitome verify");
        }
        seq = *key;
        head_hash_ = event->hash;
        last_at_ms_ = parse_rfc3339_ms(event->at).value_or(0);
    }
    // meta/head is written in the same batch as the events, so it must agree with them.
    std::string head_value;
    auto got = database_->db()->Get(rocksdb::ReadOptions(), database_->meta(),
                                    std::string(keys::kMetaHead), &head_value);
    if (got.ok()) {
        const std::string expected =
            keys::big_endian(seq) + std::string(head_hash_.begin(), head_hash_.end());
        if (head_value != expected) {
            return Status::corruption("meta head does not match the last stored event");
        }
    } else if (!got.IsNotFound()) {
        return from_rocksdb(got, "reading meta head");
    } else if (seq != 0) {
        return Status::corruption("events exist but meta head is missing");
    }
    head_seq_.store(seq, std::memory_order_release);
    return Status::ok();
}

std::int64_t EventStore::now_ms() const {
    return options_.clock_ms ? options_.clock_ms() : system_clock_ms();
}

Result<AppendResult> EventStore::append(std::string_view stream, ExpectedVersion expected,
                                        std::vector<NewEvent> events) {
    std::vector<StreamAppend> parts;
    parts.push_back({std::string(stream), expected, std::move(events)});
    auto results = append_transaction(std::move(parts));
    if (!results.is_ok()) return results.status();
    return results->front();
}

Result<std::vector<AppendResult>> EventStore::append_transaction(std::vector<StreamAppend> parts) {
    std::size_t events = 0;
    for (const auto& part : parts) events += part.events.size();
    const auto started = std::chrono::steady_clock::now();
    PendingAppend self;
    const Status prepared = prepare_append(std::move(parts), self);
    auto result =
        prepared.is_ok() ? lead_or_wait(self) : Result<std::vector<AppendResult>>(prepared);
    record_statistics(result.is_ok(), events, started);
    return result;
}

void EventStore::append_transaction_async(std::vector<StreamAppend> parts, AppendCompletion done) {
    std::size_t events = 0;
    for (const auto& part : parts) events += part.events.size();
    const auto started = std::chrono::steady_clock::now();
    auto pending = std::make_unique<PendingAppend>();
    if (auto prepared = prepare_append(std::move(parts), *pending); !prepared.is_ok()) {
        record_statistics(false, events, started);
        return done(prepared);
    }
    pending->completion = [this, events, started,
                           done = std::move(done)](Result<std::vector<AppendResult>> result) {
        record_statistics(result.is_ok(), events, started);
        done(std::move(result));
    };
    std::lock_guard lock(writers_mutex_);
    if (!commit_thread_.joinable()) commit_thread_ = std::thread([this] { run_commit_thread(); });
    writers_.push_back(pending.get());
    pending.release();  // the queue owns it now
    if (writers_.size() == 1) commit_thread_wake_.notify_one();
}

void EventStore::append_async(std::string_view stream, ExpectedVersion expected,
                              std::vector<NewEvent> events,
                              std::function<void(Result<AppendResult>)> done) {
    std::vector<StreamAppend> parts;
    parts.push_back({std::string(stream), expected, std::move(events)});
    append_transaction_async(std::move(parts),
                             [done = std::move(done)](Result<std::vector<AppendResult>> results) {
                                 if (!results.is_ok()) return done(results.status());
                                 done(results->front());
                             });
}

void EventStore::record_statistics(bool succeeded, std::size_t events,
                                   std::chrono::steady_clock::time_point started) {
    if (!succeeded) {
        statistics_.failures.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    statistics_.appends.fetch_add(1, std::memory_order_relaxed);
    statistics_.events.fetch_add(events, std::memory_order_relaxed);
    statistics_.latency_sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed),
                                         std::memory_order_relaxed);
    std::size_t bucket = 0;
    while (bucket < AppendStatistics::kBucketSeconds.size() &&
           static_cast<double>(elapsed) / 1e9 > AppendStatistics::kBucketSeconds[bucket]) {
        ++bucket;
    }
    statistics_.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
}

Status EventStore::prepare_append(std::vector<StreamAppend> parts, PendingAppend& pending) {
    if (parts.empty()) return Status::invalid_argument("a transaction needs at least one stream");
    if (options_.replication && !writer_.load(std::memory_order_acquire))
        return Status::unavailable(writer_state().reason);
    if (database_->read_only()) return Status::permission_denied("the store is open read-only");
    for (std::size_t i = 0; i < parts.size(); ++i) {
        KAKITOME_RETURN_IF_ERROR(validate_stream_name(parts[i].stream));
        if (parts[i].events.empty())
            return Status::invalid_argument("an append needs at least one event");
        for (std::size_t k = 0; k < i; ++k) {
            if (parts[k].stream == parts[i].stream) {
                return Status::invalid_argument("stream " + parts[i].stream +
                                                " appears twice in one transaction");
            }
        }
        for (auto& event : parts[i].events) {
            KAKITOME_RETURN_IF_ERROR(validate_and_canonicalize(event));
            pending.bytes += event.payload_json.size() + 256;
        }
    }
    pending.parts = std::move(parts);
    return database_->check_space(pending.bytes, Database::WriteKind::record);
}

Result<std::vector<AppendResult>> EventStore::lead_or_wait(PendingAppend& self) {
    std::unique_lock lock(writers_mutex_);
    writers_.push_back(&self);
    self.cv.wait(lock, [&] { return self.done || writers_.front() == &self; });
    if (!self.done) lead_group(lock);
    return std::move(self.result);
}

void EventStore::lead_group(std::unique_lock<std::mutex>& lock) {
    // The front leads: it commits everybody queued now, bounded by max_group_bytes. Records
    // from the replicated log are committed alone.
    std::vector<PendingAppend*> group;
    std::size_t group_bytes = 0;
    for (PendingAppend* writer : writers_) {
        if (!group.empty() && (writer->replicated != nullptr || group.front()->replicated ||
                               group_bytes + writer->bytes > options_.max_group_bytes))
            break;
        group.push_back(writer);
        group_bytes += writer->bytes;
    }
    lock.unlock();
    if (group.front()->replicated != nullptr) {
        if (auto applied = commit_replicated(*group.front()->replicated); applied.is_ok())
            group.front()->result = std::vector<AppendResult>{};
        else
            group.front()->result = applied;
    } else {
        commit_group(group);
    }
    lock.lock();
    std::vector<std::unique_ptr<PendingAppend>> completed;
    for (PendingAppend* writer : group) {
        assert(writers_.front() == writer);
        writers_.pop_front();
        if (writer->completion) {
            completed.emplace_back(writer);
        } else {
            writer->done = true;  // the leader's own entry too: it reads its result next
            writer->cv.notify_one();
        }
    }
    hand_on_leadership();
    if (completed.empty()) return;
    lock.unlock();
    // A completion that throws is a caller's bug; it must not cost the others theirs, nor end
    // the commit thread or fail a synchronous appender whose own append succeeded.
    for (auto& writer : completed) {
        try {
            writer->completion(std::move(writer->result));
        } catch (const std::exception& error) {
            logging::write(logging::Level::error, "append completion failed",
                           {{"error", error.what()}});
        }
    }
    lock.lock();
}

void EventStore::hand_on_leadership() {
    if (writers_.empty()) return;
    if (writers_.front()->completion)
        commit_thread_wake_.notify_one();
    else
        writers_.front()->cv.notify_one();
}

void EventStore::run_commit_thread() {
    std::unique_lock lock(writers_mutex_);
    for (;;) {
        commit_thread_wake_.wait(lock, [this] {
            return stopping_ || (!writers_.empty() && writers_.front()->completion);
        });
        // Stopping: what is queued is still committed, so no completion is lost.
        if (!writers_.empty() && writers_.front()->completion) {
            lead_group(lock);
            continue;
        }
        if (stopping_) return;
    }
}

void EventStore::commit_group(std::vector<PendingAppend*>& group) {
    // A step-down while these appends queued: none of them may reach the replicated log.
    if (options_.replication && !writer_.load(std::memory_order_acquire)) {
        const Status refused = Status::unavailable(writer_state().reason);
        for (PendingAppend* writer : group) writer->result = refused;
        return;
    }
    rocksdb::WriteBatch batch;
    // The group's records as the replicated log receives them (replicated stores only).
    std::vector<std::string> records;
    std::unordered_map<std::string_view, std::uint64_t> versions_in_group;
    const std::uint64_t start_seq = head_seq_.load(std::memory_order_acquire);
    std::uint64_t seq = start_seq;
    Sha256Digest prev_hash = head_hash_;
    const std::int64_t at_ms = std::max(now_ms(), last_at_ms_);
    const std::string at = format_rfc3339_ms(at_ms);

    for (PendingAppend* writer : group) {
        // Check every part's expected version before writing any of them.
        std::vector<std::uint64_t> versions;
        Status refused;
        for (const StreamAppend& part : writer->parts) {
            std::uint64_t version;
            if (auto found = versions_in_group.find(part.stream);
                found != versions_in_group.end()) {
                version = found->second;
            } else if (auto cached = stream_versions_.find(part.stream);
                       cached != stream_versions_.end()) {
                version = cached->second;
            } else {
                auto stored = stored_stream_version(*database_, part.stream);
                if (!stored.is_ok()) {
                    refused = stored.status();
                    break;
                }
                version = stored.value();
            }
            if (!part.expected.accepts(StreamVersion{version})) {
                const std::string wanted =
                    part.expected.kind() == ExpectedVersion::Kind::no_stream
                        ? "no stream"
                        : "version " + std::to_string(part.expected.version().value);
                refused = Status::conflict("stream " + part.stream + " is at version " +
                                           std::to_string(version) + ", expected " + wanted);
                break;
            }
            versions.push_back(version);
        }
        if (!refused.is_ok()) {
            writer->result = refused;
            continue;
        }
        std::vector<AppendResult> results;
        for (std::size_t p = 0; p < writer->parts.size(); ++p) {
            StreamAppend& part = writer->parts[p];
            std::uint64_t version = versions[p];
            const std::uint64_t first_seq = seq + 1;
            for (NewEvent& event : part.events) {
                RecordedEvent recorded;
                recorded.seq = Seq{++seq};
                recorded.stream = part.stream;
                recorded.version = StreamVersion{++version};
                recorded.type = std::move(event.type);
                recorded.schema = event.schema;
                recorded.at = at;
                recorded.actor = std::move(event.actor);
                recorded.correlation = std::move(event.correlation);
                recorded.causation = std::move(event.causation);
                recorded.payload_json = std::move(event.payload_json);
                recorded.prev_hash = prev_hash;
                const std::string canonical = canonical_bytes(recorded);
                recorded.hash = sha256(canonical);
                std::string stored = encode_stored_event(recorded, canonical);
                batch.Put(database_->events(), keys::event_key(seq), stored);
                if (options_.replication) records.push_back(std::move(stored));
                batch.Put(database_->streams(), keys::stream_key(part.stream, version),
                          keys::big_endian(seq));
                prev_hash = recorded.hash;
            }
            versions_in_group[part.stream] = version;
            results.push_back(AppendResult{Seq{first_seq}, Seq{seq}, StreamVersion{version}});
        }
        writer->result = std::move(results);
    }
    if (seq == start_seq) return;  // every append in the group was refused

    // Replicated: nothing is acknowledged, or written here, before the log has it. A refused or
    // unanswered publish steps this store down: the log may now hold events it does not, so it
    // must re-read the log before it may write again.
    if (options_.replication) {
        const Status published = options_.replication->publish(Seq{start_seq + 1}, records);
        if (!published.is_ok()) {
            const std::string reason =
                published.code() == StatusCode::conflict
                    ? "another node has written to the replicated log (" + published.message() +
                          "); this node is no longer the primary"
                    : "the replicated log did not acknowledge the append (" + published.message() +
                          "); this node re-reads the log before it writes again";
            step_down(reason);
            {
                std::lock_guard writer_lock(writer_mutex_);
                ++refused_publishes_;
            }
            for (PendingAppend* writer : group) {
                if (writer->result.is_ok()) writer->result = Status::unavailable(reason);
            }
            return;
        }
    }

    batch.Put(database_->meta(), std::string(keys::kMetaHead),
              keys::big_endian(seq) + std::string(prev_hash.begin(), prev_hash.end()));
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.durability == Durability::sync;
    const rocksdb::Status written = database_->db()->Write(write_options, &batch);
    if (!written.ok()) {
        Status failure = from_rocksdb(written, "appending events");
        database_->note_write_failure(failure);
        if (options_.replication) {
            // The replicated log has these events: they stand, and every node will hold them.
            // This node's copy lacks them, so it must re-read the log before it writes again.
            const std::string reason =
                "the replicated log stored the append but this node "
                "could not (" +
                failure.message() + "); it re-reads the log before it writes again";
            step_down(reason);
            failure = Status::unavailable(reason);
        }
        for (PendingAppend* writer : group) {
            if (writer->result.is_ok()) writer->result = failure;
        }
        return;
    }
    head_hash_ = prev_hash;
    last_at_ms_ = at_ms;
    if (stream_versions_.size() + versions_in_group.size() > kMaxCachedStreams)
        stream_versions_.clear();
    for (const auto& [stream, version] : versions_in_group) {
        stream_versions_.insert_or_assign(std::string(stream), version);
    }
    {
        std::lock_guard head_lock(head_mutex_);
        head_seq_.store(seq, std::memory_order_release);
    }
    head_changed_.notify_all();
}

void EventStore::become_writer() {
    std::lock_guard lock(writer_mutex_);
    not_writer_reason_.clear();
    writer_.store(true, std::memory_order_release);
}

void EventStore::step_down(std::string reason) {
    std::lock_guard lock(writer_mutex_);
    not_writer_reason_ = std::move(reason);
    writer_.store(false, std::memory_order_release);
}

WriterState EventStore::writer_state() const {
    std::lock_guard lock(writer_mutex_);
    return {writer_.load(std::memory_order_acquire), not_writer_reason_, refused_publishes_};
}

Status EventStore::apply_replicated(const std::vector<std::string>& stored_records) {
    if (!options_.replication) return Status::failed_precondition("this store is not replicated");
    if (stored_records.empty()) return Status::ok();
    PendingAppend self;
    self.replicated = &stored_records;
    auto applied = lead_or_wait(self);
    return applied.is_ok() ? Status::ok() : applied.status();
}

Status EventStore::commit_replicated(const std::vector<std::string>& stored_records) {
    if (writer_.load(std::memory_order_acquire))
        return Status::failed_precondition(
            "this node is the writer; it does not take events from the replicated log");
    rocksdb::WriteBatch batch;
    std::unordered_map<std::string, std::uint64_t> versions_in_call;
    std::uint64_t seq = head_seq_.load(std::memory_order_acquire);
    Sha256Digest prev_hash = head_hash_;
    std::int64_t at_ms = last_at_ms_;
    for (const std::string& stored : stored_records) {
        const std::string where = "replicated event " + std::to_string(seq + 1);
        auto event = decode_stored_event(stored);
        if (!event.is_ok()) return Status::corruption(where + ": " + event.status().message());
        const std::string_view canonical = std::string_view(stored).substr(event->hash.size());
        if (event->seq.value != seq + 1)
            return Status::corruption(where + " carries seq " + std::to_string(event->seq.value));
        if (event->prev_hash != prev_hash)
            return Status::corruption(where + " does not link to the event before it");
        if (canonical_bytes(*event) != canonical)
            return Status::corruption(where + " is not in canonical form");
        if (sha256(canonical) != event->hash)
            return Status::corruption(where + " does not hash to its stored hash");
        if (auto valid = validate_stream_name(event->stream); !valid.is_ok())
            return Status::corruption(where + ": " + valid.message());
        std::uint64_t version;
        if (auto known = versions_in_call.find(event->stream); known != versions_in_call.end()) {
            version = known->second;
        } else {
            auto found = stored_stream_version(*database_, event->stream);
            if (!found.is_ok()) return found.status();
            version = found.value();
        }
        if (event->version.value != version + 1)
            return Status::corruption(
                where + " is version " + std::to_string(event->version.value) + " of " +
                event->stream + ", which is at version " + std::to_string(version));
        ++seq;
        batch.Put(database_->events(), keys::event_key(seq), stored);
        batch.Put(database_->streams(), keys::stream_key(event->stream, event->version.value),
                  keys::big_endian(seq));
        versions_in_call[event->stream] = event->version.value;
        prev_hash = event->hash;
        at_ms = std::max(at_ms, parse_rfc3339_ms(event->at).value_or(at_ms));
    }
    batch.Put(database_->meta(), std::string(keys::kMetaHead),
              keys::big_endian(seq) + std::string(prev_hash.begin(), prev_hash.end()));
    rocksdb::WriteOptions replicated_write;
    replicated_write.sync = options_.durability == Durability::sync;
    if (const rocksdb::Status written = database_->db()->Write(replicated_write, &batch);
        !written.ok()) {
        const Status failure = from_rocksdb(written, "storing replicated events");
        database_->note_write_failure(failure);
        return failure;
    }
    head_hash_ = prev_hash;
    last_at_ms_ = at_ms;
    for (const auto& [stream, version] : versions_in_call) {
        if (auto cached = stream_versions_.find(stream); cached != stream_versions_.end())
            cached->second = version;
    }
    {
        std::lock_guard head_lock(head_mutex_);
        head_seq_.store(seq, std::memory_order_release);
    }
    head_changed_.notify_all();
    return Status::ok();
}

Result<std::vector<std::string>> EventStore::stream_names(std::string_view prefix) const {
    std::vector<std::string> names;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->streams()));
    // Keys are (2-byte name length, name, version): each length is a range of its own.
    for (std::size_t length = std::max<std::size_t>(prefix.size(), 1);
         length <= kMaxStreamNameBytes; ++length) {
        std::string start{static_cast<char>(length >> 8 & 0xff), static_cast<char>(length & 0xff)};
        start.append(prefix);
        for (it->Seek(start); it->Valid() && it->key().starts_with(start);) {
            const std::string key = it->key().ToString();
            if (key.size() < 2 + length) break;
            names.push_back(key.substr(2, length));
            // No event has the largest version: this lands on the next stream's first key.
            it->Seek(keys::stream_key(names.back(), std::numeric_limits<std::uint64_t>::max()));
        }
        if (!it->status().ok()) return from_rocksdb(it->status(), "listing streams");
    }
    return names;
}

Result<StreamVersion> EventStore::stream_version(std::string_view stream) const {
    KAKITOME_RETURN_IF_ERROR(validate_stream_name(stream));
    auto version = stored_stream_version(*database_, stream);
    if (!version.is_ok()) return version.status();
    return StreamVersion{version.value()};
}

Result<RecordedEvent> EventStore::read_event(Seq seq) const {
    std::string value;
    auto got = database_->db()->Get(rocksdb::ReadOptions(), database_->events(),
                                    keys::event_key(seq.value), &value);
    if (got.IsNotFound()) return Status::not_found("no event at seq " + std::to_string(seq.value));
    if (!got.ok()) return from_rocksdb(got, "reading seq " + std::to_string(seq.value));
    return decode_stored_event_for_reading(value);
}

Result<std::vector<RecordedEvent>> EventStore::read_all(Seq from, std::size_t max_count) const {
    std::vector<RecordedEvent> events;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->events()));
    for (it->Seek(keys::event_key(std::max<std::uint64_t>(from.value, 1)));
         it->Valid() && events.size() < max_count; it->Next()) {
        auto event = decode_stored_event_for_reading(
            std::string_view(it->value().data(), it->value().size()));
        if (!event.is_ok()) return event.status();
        events.push_back(std::move(event).value());
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading events");
    return events;
}

Status EventStore::scan_stored_events(
    Seq from, Seq until, const std::function<bool(Seq, std::string_view)>& visit) const {
    const std::uint64_t last = until.value ? until.value : head().value;
    // A pass over the log reads around the block cache, so as not to evict what serves requests.
    rocksdb::ReadOptions options;
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(options, database_->events()));
    for (it->Seek(keys::event_key(std::max<std::uint64_t>(from.value, 1))); it->Valid();
         it->Next()) {
        auto seq = keys::read_big_endian(std::string_view(it->key().data(), it->key().size()));
        if (!seq) return Status::corruption("an event key is not a seq");
        if (*seq > last) break;
        if (!visit(Seq{*seq}, std::string_view(it->value().data(), it->value().size()))) break;
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading events");
    return Status::ok();
}

Result<std::vector<RecordedEvent>> EventStore::read_stream_forward(std::string_view stream,
                                                                   StreamVersion from,
                                                                   std::size_t max_count) const {
    KAKITOME_RETURN_IF_ERROR(validate_stream_name(stream));
    std::vector<RecordedEvent> events;
    const std::string prefix = keys::stream_prefix(stream);
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->streams()));
    for (it->Seek(keys::stream_key(stream, std::max<std::uint64_t>(from.value, 1)));
         it->Valid() && it->key().starts_with(prefix) && events.size() < max_count; it->Next()) {
        auto seq = keys::read_big_endian(std::string_view(it->value().data(), it->value().size()));
        if (!seq) return Status::corruption("stream index entry is not a seq");
        auto event = read_event(Seq{*seq});
        if (!event.is_ok()) return event.status();
        events.push_back(std::move(event).value());
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading stream");
    return events;
}

Result<std::vector<RecordedEvent>> EventStore::read_stream_backward(std::string_view stream,
                                                                    StreamVersion from,
                                                                    std::size_t max_count) const {
    KAKITOME_RETURN_IF_ERROR(validate_stream_name(stream));
    std::vector<RecordedEvent> events;
    const std::string prefix = keys::stream_prefix(stream);
    const std::uint64_t start =
        from.value == 0 ? std::numeric_limits<std::uint64_t>::max() : from.value;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->streams()));
    for (it->SeekForPrev(keys::stream_key(stream, start));
         it->Valid() && it->key().starts_with(prefix) && events.size() < max_count; it->Prev()) {
        auto seq = keys::read_big_endian(std::string_view(it->value().data(), it->value().size()));
        if (!seq) return Status::corruption("stream index entry is not a seq");
        auto event = read_event(Seq{*seq});
        if (!event.is_ok()) return event.status();
        events.push_back(std::move(event).value());
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading stream");
    return events;
}

bool EventStore::wait_for_head_beyond(Seq seq, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(head_mutex_);
    const std::uint64_t generation = wake_generation_;
    head_changed_.wait_for(lock, timeout, [&] {
        return head_seq_.load(std::memory_order_acquire) > seq.value ||
               wake_generation_ != generation;
    });
    return head_seq_.load(std::memory_order_acquire) > seq.value;
}

void EventStore::wake_waiters() const {
    {
        std::lock_guard lock(head_mutex_);
        ++wake_generation_;
    }
    head_changed_.notify_all();
}

namespace {

// Up to `page_events` (>= 1) events from `next`, none past `last` (1 <= next <= last: the loops
// below see to it, as an end of 0 would ask scan_stored_events for the whole log), read around
// the block cache as every pass over the log is: a first fold or an index catch-up over millions
// of events would otherwise push out the blocks that serve requests, for blocks read once, and
// filling the cache costs the reading thread too.
Result<std::vector<RecordedEvent>> read_page_of_a_pass(const EventStore& store, Seq next, Seq last,
                                                       std::size_t page_events) {
    const Seq page_last{next.value +
                        std::min<std::uint64_t>(page_events - 1, last.value - next.value)};
    std::vector<RecordedEvent> page;
    page.reserve(page_last.value - next.value + 1);
    Status decoded;
    KAKITOME_RETURN_IF_ERROR(
        store.scan_stored_events(next, page_last, [&](Seq, std::string_view stored) {
            decoded = decode_stored_event_for_reading_into(stored, page.emplace_back());
            return decoded.is_ok();
        }));
    KAKITOME_RETURN_IF_ERROR(decoded);
    return page;
}

}  // namespace

Status for_each_page(const EventStore& store, Seq from, Seq until,
                     const std::function<Status(const std::vector<RecordedEvent>& page)>& fold,
                     std::size_t page_events) {
    from.value = std::max<std::uint64_t>(from.value, 1);  // seq 0 is no event
    page_events = std::max<std::size_t>(page_events, 1);
    const Seq last = until.value ? until : store.head();
    if (from.value > last.value) return Status::ok();
    const auto read_page = [&store, &last, page_events](Seq next) {
        return read_page_of_a_pass(store, next, last, page_events);
    };
    // While a page folds, the next one is read and decoded on another thread: a long catch-up
    // (a first start, a rebuilt index) then uses both cores, reading as much of the work as
    // folding (docs/performance.md). A short one reads its single page here.
    std::future<Result<std::vector<RecordedEvent>>> ahead;
    Result<std::vector<RecordedEvent>> page = read_page(from);
    for (;;) {
        if (!page.is_ok()) return page.status();
        if (page->empty()) return Status::ok();
        const Seq next{page->back().seq.value + 1};
        if (next.value <= last.value) ahead = std::async(std::launch::async, read_page, next);
        // On an error the read ahead is waited for (the future's destructor), then dropped.
        KAKITOME_RETURN_IF_ERROR(fold(page.value()));
        if (next.value > last.value) return Status::ok();
        page = ahead.get();
    }
}

Status for_each_prepared_page(const EventStore& store, Seq from, Seq until,
                              const std::function<Status(const std::vector<RecordedEvent>& page,
                                                         PreparedWrite& prepared)>& prepare,
                              const std::function<Status(PreparedWrite& prepared, Seq last)>& write,
                              std::size_t page_events) {
    from.value = std::max<std::uint64_t>(from.value, 1);  // seq 0 is no event
    page_events = std::max<std::size_t>(page_events, 1);
    const Seq last = until.value ? until : store.head();
    if (from.value > last.value) return Status::ok();
    struct Prepared {
        PreparedWrite write;
        Seq last;  // Seq{0}: the page was empty
    };
    const auto read_and_prepare = [&](Seq next) -> Result<Prepared> {
        auto page = read_page_of_a_pass(store, next, last, page_events);
        if (!page.is_ok()) return page.status();
        Prepared prepared;
        if (page->empty()) return prepared;
        KAKITOME_RETURN_IF_ERROR(prepare(page.value(), prepared.write));
        prepared.last = page->back().seq;
        return prepared;
    };
    // Two pages are read and prepared at once, on threads of their own, while this thread writes
    // the one before: preparing a page (decoding payloads, building rows) costs about twice
    // what writing it does. Seqs have no gaps, so a page of `page_events` from `next` ends
    // where the following one starts.
    constexpr std::size_t kPagesPreparedAtOnce = 2;
    std::deque<std::future<Result<Prepared>>> in_flight;
    std::uint64_t next = from.value;
    const auto launch = [&] {
        if (next > last.value) return;
        in_flight.push_back(std::async(std::launch::async, read_and_prepare, Seq{next}));
        next += page_events;
    };
    for (std::size_t i = 0; i < kPagesPreparedAtOnce; ++i) launch();
    while (!in_flight.empty()) {
        // On an error the pages still in flight are waited for (the futures' destructors).
        Result<Prepared> prepared = in_flight.front().get();
        in_flight.pop_front();
        if (!prepared.is_ok()) return prepared.status();
        if (prepared->last.value == 0) return Status::ok();
        launch();
        KAKITOME_RETURN_IF_ERROR(write(prepared->write, prepared->last));
    }
    return Status::ok();
}

Status for_each_event(const EventStore& store, Seq from,
                      const std::function<void(const RecordedEvent&)>& visit) {
    return for_each_page(store, from, Seq{0}, [&](const std::vector<RecordedEvent>& page) {
        for (const auto& event : page) visit(event);
        return Status::ok();
    });
}

Status for_each_stream_event(const EventStore& store, std::string_view stream,
                             const std::function<Status(const RecordedEvent&)>& visit) {
    constexpr std::size_t kPage = 1000;
    for (std::uint64_t next = 1;;) {
        auto page = store.read_stream_forward(stream, StreamVersion{next}, kPage);
        if (!page.is_ok()) return page.status();
        for (const auto& event : page.value()) {
            Status visited = visit(event);
            if (!visited.is_ok()) return visited;
        }
        if (page->size() < kPage) return Status::ok();
        next = page->back().version.value + 1;
    }
}

Result<std::vector<RecordedEvent>> read_whole_stream(const EventStore& store,
                                                     std::string_view stream) {
    std::vector<RecordedEvent> all;
    Status read = for_each_stream_event(store, stream, [&](const RecordedEvent& event) {
        all.push_back(event);
        return Status::ok();
    });
    if (!read.is_ok()) return read;
    return all;
}

Result<Seq> last_seq_at_or_before(const EventStore& store, std::int64_t time_ms) {
    std::uint64_t low = 0, high = store.head().value;
    while (low < high) {
        const std::uint64_t middle = low + (high - low + 1) / 2;
        auto event = store.read_event(Seq{middle});
        if (!event.is_ok()) return event.status();
        // A time that does not read would send the bisection either way: damage, not a guess.
        const auto at_ms = parse_rfc3339_ms(event->at);
        if (!at_ms)
            return Status::corruption("event " + std::to_string(middle) + "'s time \"" + event->at +
                                      "\" does not read; run kakitome verify");
        if (*at_ms <= time_ms) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    return Seq{low};
}

}  // namespace kakitome
