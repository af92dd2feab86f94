// Verifies a whole store from its events up: every stored event against the hash chain (see
// ChainVerifier), every event against its stream index entry, the meta head against the last
// event, and the ledger: the RFC 9162 tree is recomputed from the events and every stored node
// and every stored checkpoint's root are compared with it, and the log may not be shorter than
// the stored tree or any signed checkpoint. Checkpoint signatures are checked when a verifier
// key is given (without one the report says they were not).
// Not checked: the projections (queue, directory, downloads, disclosures), derived data that
// `kakitome replay --projection NAME` rebuilds and compares.
// Reads only; works on a database opened read-only beside a running server.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events/base/status.h"
#include "events/chain_verifier.h"
#include "events/database.h"

namespace kakitome {

struct VerifyOptions {
    // progress(events_checked) is called every 100,000 events when given.
    std::function<void(std::uint64_t)> progress;
    // The ledger's verifier key ("name+keyid+base64"): checkpoint signatures are checked too.
    std::optional<std::string> verifier_key;
    // Events whose stream index entries are checked together, on a second thread while the scan
    // checks the next ones' chain and tree: the index's lookups were half of verify's time, and a
    // larger batch shares more of the index's blocks between its lookups
    // (events/stream_index_audit.h).
    std::size_t index_batch_events = 65536;
};

struct VerifyReport {
    std::uint64_t events_checked = 0;
    Seq head{0};
    std::string head_hash_hex;
    std::uint64_t tree_nodes_checked = 0;   // stored Merkle nodes equal to the recomputed ones
    std::uint64_t checkpoints_checked = 0;  // stored checkpoints whose root was recomputed
    bool signatures_checked = false;        // ... and whose signature verified
    std::optional<ChainBreak> first_break;  // empty when intact
    bool intact() const { return !first_break.has_value(); }
};

// The derived data verify_store does not check, with the command that does.
const std::vector<std::string>& projections_not_verified();

Result<VerifyReport> verify_store(const Database& database, const VerifyOptions& options = {});

}  // namespace kakitome
