// The log's side of C2SP tlog-witness: each new signed checkpoint goes to every configured
// witness with a consistency proof from the size that witness last cosigned; the cosignature
// that comes back is checked against the witness's key and stored beside the checkpoint
// (Ledger::store_cosignature), so GET /v1/ledger/checkpoint and exports carry it.
//
// A witness that refuses (409 with a size above this log's, the same size with another root,
// 422: not an extension, 403: not our signature) has seen another history of this log, or a
// longer one: a split view or a rollback. That is reported loudly (the `report` callback,
// which serve prints on stderr; refusals() for /metrics; status() for the checkpoint route)
// and retried on every pass, never ignored. A witness that cannot be reached is only
// "unreachable" and tried again. run_once() from one thread; status() is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/workflow/settings_file.h"
#include "events/ledger.h"
#include "events/meta_store.h"

namespace kakitome::witness {

struct WitnessStatus {
    std::string name;  // from its verifier key
    std::string url;
    std::uint64_t cosigned_size = 0;  // the newest checkpoint it cosigned
    std::string problem;              // the last refusal or failure, empty when none
    bool refused = false;             // the problem is a refusal (another history), not a failure
    std::uint64_t ahead_size = 0;     // refused because it holds this larger tree: a rollback
    bool forked = false;  // refused because it holds another tree (same size, or no proof from it)
};

class CheckpointWitnessing {
  public:
    CheckpointWitnessing(Ledger& ledger, MetaStore meta,
                         std::vector<workflow::WitnessSettings> witnesses,
                         std::size_t min_witnesses);

    bool configured() const { return !witnesses_.empty(); }
    std::size_t min_witnesses() const { return min_witnesses_; }
    // Sends the latest checkpoint to each witness that has not cosigned it yet.
    Status run_once(const std::function<void(const std::string&)>& report);
    // Sends `checkpoint` to every witness, cosigned or not, and returns what each said: a
    // restore shows a checkpoint of the restored head and learns whether a witness has seen more
    // of this log (ahead_size), or another history (forked), before anything trusts the store.
    std::vector<WitnessStatus> probe(const Checkpoint& checkpoint,
                                     const std::function<void(const std::string&)>& report);
    std::vector<WitnessStatus> status() const;
    std::uint64_t refusals() const { return refusals_.load(); }

  private:
    void submit(std::size_t index, const Checkpoint& checkpoint,
                const std::function<void(const std::string&)>& report);
    // The witness cosigned a checkpoint of `size`: no problem left.
    void note_cosigned(std::size_t index, std::uint64_t size);
    Ledger& ledger_;
    MetaStore meta_;
    std::vector<workflow::WitnessSettings> witnesses_;
    std::size_t min_witnesses_;
    mutable std::mutex mutex_;
    std::vector<WitnessStatus> status_;
    std::atomic<std::uint64_t> refusals_{0};
};

}  // namespace kakitome::witness
