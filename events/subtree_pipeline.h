// The complete subtrees of long stretches of the log, computed on several threads: the part of
// a ledger extension that reads and hashes (docs/performance.md, "Incident inquiry, replay and
// ledger").
//
// The log is cut into chunks of 2^kSubtreeLevel leaves aligned as the tree is; each chunk's
// subtree depends on its own events alone, so workers read and hash different chunks at once
// while the caller consumes finished ones strictly in chunk order. At most two chunks per
// worker wait in memory (4 MiB each).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "events/event_store.h"
#include "events/merkle.h"

namespace kakitome {

inline constexpr unsigned kSubtreeLevel = 16;
inline constexpr std::uint64_t kSubtreeLeaves = std::uint64_t{1} << kSubtreeLevel;

// Every node of the complete subtree over leaves [chunk·2^16, (chunk+1)·2^16): levels[l] holds
// its 2^(16-l) nodes of level l in index order, levels[0] the leaf hashes, levels[16] the root.
struct SubtreeNodes {
    std::uint64_t chunk = 0;
    std::vector<std::vector<merkle::Hash>> levels;
};

// Computes the subtrees of chunks [first_chunk, end_chunk) of `store`'s log on `workers` threads
// and calls `consume` with each, in chunk order, on the calling thread. Stops at the first
// error: a missing or short record (corruption), a failed read, or what `consume` returns.
Status for_each_complete_subtree(const EventStore& store, std::uint64_t first_chunk,
                                 std::uint64_t end_chunk, unsigned workers,
                                 const std::function<Status(const SubtreeNodes&)>& consume);

}  // namespace kakitome
