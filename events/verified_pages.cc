#include "events/verified_pages.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kakitome {

namespace {

Status chain_broken(Seq seq, const std::string& why) {
    return Status::corruption("the hash chain breaks at seq " + std::to_string(seq.value) + ": " +
                              why)
        .with_reason("chain_broken");
}

// A page as the reader hands it on: the records as stored (hash, then canonical bytes), back to
// back, each one's hash checked. The consumer decodes them into `events`, checks each link, and
// folds them.
struct Page {
    std::vector<RecordedEvent> events;
    std::string stored;             // every record as stored, back to back
    std::vector<std::size_t> ends;  // where each record ends in `stored`
};

// Reads records into pages on its own thread, checking that their seqs follow each other with
// no hole and that each record's bytes hash to the hash stored before them; hands them over
// through a queue at most kPagesAhead deep, so memory stays at a few pages however long the log.
// Decoding and linking are left to the consumer, beside its fold: reading and hashing cost about
// as much as decoding and folding, so the two threads stay balanced (the reader decoded too
// until 2026-11-28, and the replay waited for it).
class VerifiedPageReader {
  public:
    static constexpr std::size_t kPagesAhead = 2;

    VerifiedPageReader(const EventStore& store, Seq from, Seq until, std::size_t page_events)
        : store_(store), from_(from), until_(until), page_events_(page_events), thread_([this] {
              read();
          }) {}

    ~VerifiedPageReader() {
        {
            std::lock_guard lock(mutex_);
            stopped_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }

    // The next page; false when there is none (then status() says why). The page passed in
    // (the one just folded) goes back to the reader, which reads into its buffers again (and the
    // caller decodes into its events again).
    bool next(Page& page) {
        std::unique_lock lock(mutex_);
        if (!page.ends.empty()) spare_.push_back(std::move(page));
        changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
        if (ready_.empty()) return false;
        page = std::move(ready_.front());
        ready_.pop_front();
        changed_.notify_all();
        return true;
    }

    Status status() {
        std::lock_guard lock(mutex_);
        return status_;
    }

  private:
    // An empty page to read records into: a folded one when there is one, buffers and all.
    Page empty_page() {
        Page page;
        {
            std::lock_guard lock(mutex_);
            if (!spare_.empty()) {
                page = std::move(spare_.back());
                spare_.pop_back();
            }
        }
        page.stored.clear();
        page.ends.clear();
        return page;
    }

    bool hand_on(Page& page) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopped_ || ready_.size() < kPagesAhead; });
        if (stopped_) return false;
        ready_.push_back(std::move(page));
        changed_.notify_all();
        return true;
    }

    void read() {
        std::uint64_t expected_seq = std::max<std::uint64_t>(from_.value, 1);
        Status failure;
        Page page = empty_page();
        Status scanned =
            store_.scan_stored_events(from_, until_, [&](Seq seq, std::string_view stored) {
                if (seq.value != expected_seq) {
                    failure = chain_broken(Seq{expected_seq}, "the next stored event has seq " +
                                                                  std::to_string(seq.value));
                    return false;
                }
                constexpr std::size_t kHashBytes = sizeof(Sha256Digest);
                if (stored.size() <= kHashBytes) {
                    failure = chain_broken(seq, "the record is too short to hold an event");
                    return false;
                }
                // The stored hash is the record's first bytes: checked here, before decoding.
                const Sha256Digest hash = sha256(stored.substr(kHashBytes));
                if (!std::equal(hash.begin(), hash.end(),
                                reinterpret_cast<const std::uint8_t*>(stored.data()))) {
                    failure = chain_broken(seq, "the hash does not match the event's bytes");
                    return false;
                }
                page.stored.append(stored);
                page.ends.push_back(page.stored.size());
                ++expected_seq;
                if (page.ends.size() < page_events_) return true;
                if (!hand_on(page)) return false;
                page = empty_page();
                return true;
            });
        // Events missing at the end leave no later prev_hash to break: the scan must reach the
        // last seq asked for.
        if (scanned.is_ok() && failure.is_ok() && expected_seq <= until_.value) {
            failure = chain_broken(Seq{expected_seq},
                                   "the log ends at seq " + std::to_string(expected_seq - 1) +
                                       ", before seq " + std::to_string(until_.value));
        }
        // After a break too: the consumer checks the records before it, which may name an
        // earlier seq than the break the reader found.
        if (scanned.is_ok() && !page.ends.empty()) hand_on(page);
        {
            std::lock_guard lock(mutex_);
            status_ = !scanned.is_ok() ? scanned : failure;
            finished_ = true;
        }
        changed_.notify_all();
    }

    const EventStore& store_;
    const Seq from_, until_;
    const std::size_t page_events_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Page> ready_;
    std::vector<Page> spare_;  // folded pages, to read into again
    bool finished_ = false;    // the reader has handed on its last page
    bool stopped_ = false;     // the consumer gave up: the reader stops at its next hand-over
    Status status_;
    std::thread thread_;  // last: started once everything above is initialised
};

}  // namespace

Status for_each_verified_page(
    const EventStore& store, Seq from, Seq until, const Sha256Digest& previous,
    const std::function<Status(const std::vector<RecordedEvent>& page)>& fold,
    std::size_t page_events) {
    // Never past the head: a caller asking for more than was written gets what there is.
    const Seq last{std::min(until.value ? until.value : store.head().value, store.head().value)};
    if (from.value > last.value || last.value == 0) return Status::ok();
    VerifiedPageReader reader(store, from, last, std::max<std::size_t>(page_events, 1));
    Sha256Digest expected_previous = previous;
    std::uint64_t expected_seq = std::max<std::uint64_t>(from.value, 1);
    Page page;
    while (reader.next(page)) {
        page.events.resize(page.ends.size());
        std::size_t begin = 0;
        for (std::size_t i = 0; i < page.ends.size(); ++i, ++expected_seq) {
            const std::string_view stored(page.stored.data() + begin, page.ends[i] - begin);
            begin = page.ends[i];
            const Seq seq{expected_seq};
            RecordedEvent& event = page.events[i];
            if (auto decoded = decode_stored_event_for_reading_into(stored, event);
                !decoded.is_ok())
                return chain_broken(seq, decoded.message());
            if (event.seq != seq)
                return chain_broken(seq,
                                    "the envelope says seq " + std::to_string(event.seq.value));
            if (event.prev_hash != expected_previous)
                return chain_broken(
                    seq, "prev_hash is not the hash of seq " + std::to_string(seq.value - 1));
            expected_previous = event.hash;
        }
        KAKITOME_RETURN_IF_ERROR(fold(page.events));
    }
    return reader.status();
}

}  // namespace kakitome
