#include "events/subtree_pipeline.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace kakitome {

namespace {

Result<SubtreeNodes> compute_subtree(const EventStore& store, std::uint64_t chunk) {
    SubtreeNodes subtree{.chunk = chunk, .levels = {}};
    subtree.levels.resize(kSubtreeLevel + 1);
    std::vector<merkle::Hash>& leaves = subtree.levels[0];
    leaves.reserve(kSubtreeLeaves);
    const std::uint64_t first_seq = chunk * kSubtreeLeaves + 1;
    std::uint64_t expected = first_seq;
    Status failure;
    KAKITOME_RETURN_IF_ERROR(store.scan_stored_events(
        Seq{first_seq}, Seq{first_seq + kSubtreeLeaves - 1}, [&](Seq seq, std::string_view stored) {
            if (seq.value != expected || stored.size() < sizeof(merkle::Hash)) {
                failure = Status::corruption("the log has no readable event " +
                                             std::to_string(expected) + " to extend the tree with");
                return false;
            }
            // The leaf is the event's hash, the stored record's first 32 bytes: nothing decoded.
            leaves.push_back(merkle::leaf_hash(reinterpret_cast<const std::uint8_t*>(stored.data()),
                                               sizeof(merkle::Hash)));
            ++expected;
            return true;
        }));
    KAKITOME_RETURN_IF_ERROR(failure);
    if (leaves.size() != kSubtreeLeaves)
        return Status::corruption("the log has no readable event " + std::to_string(expected) +
                                  " to extend the tree with");
    for (unsigned level = 1; level <= kSubtreeLevel; ++level) {
        const auto& below = subtree.levels[level - 1];
        auto& nodes = subtree.levels[level];
        nodes.resize(below.size() / 2);
        for (std::size_t i = 0; i < nodes.size(); ++i)
            nodes[i] = merkle::node_hash(below[2 * i], below[2 * i + 1]);
    }
    return subtree;
}

}  // namespace

Status for_each_complete_subtree(const EventStore& store, std::uint64_t first_chunk,
                                 std::uint64_t end_chunk, unsigned workers,
                                 const std::function<Status(const SubtreeNodes&)>& consume) {
    if (first_chunk >= end_chunk) return Status::ok();
    workers = std::max(workers, 1u);
    const std::uint64_t window = 2 * std::uint64_t{workers};
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t next_to_compute = first_chunk;
    std::uint64_t next_to_consume = first_chunk;
    std::map<std::uint64_t, Result<SubtreeNodes>> finished;
    bool stopping = false;

    const auto work = [&] {
        for (;;) {
            std::uint64_t chunk = 0;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] {
                    return stopping || next_to_compute >= end_chunk ||
                           next_to_compute < next_to_consume + window;
                });
                if (stopping || next_to_compute >= end_chunk) return;
                chunk = next_to_compute++;
            }
            auto subtree = compute_subtree(store, chunk);
            std::lock_guard lock(mutex);
            finished.emplace(chunk, std::move(subtree));
            changed.notify_all();
        }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < workers; ++i) threads.emplace_back(work);

    Status outcome;
    for (std::uint64_t chunk = first_chunk; chunk < end_chunk && outcome.is_ok(); ++chunk) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return finished.contains(chunk); });
        auto subtree = std::move(finished.extract(chunk).mapped());
        next_to_consume = chunk + 1;
        changed.notify_all();
        lock.unlock();
        outcome = subtree.is_ok() ? consume(subtree.value()) : subtree.status();
    }
    {
        std::lock_guard lock(mutex);
        stopping = true;
        changed.notify_all();
    }
    for (auto& thread : threads) thread.join();
    return outcome;
}

}  // namespace kakitome
