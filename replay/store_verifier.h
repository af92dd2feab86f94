// Verifies a whole store: every stored event against the hash chain (see ChainVerifier), every
// event against its stream index entry, and the meta head against the last event.
// Reads only; works on a database opened read-only beside a running server.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "events/chain_verifier.h"
#include "events/database.h"
#include "events/status.h"

namespace kakitome {

struct VerifyReport {
    std::uint64_t events_checked = 0;
    Seq head{0};
    std::string head_hash_hex;
    std::optional<ChainBreak> first_break;  // empty when intact
    bool intact() const { return !first_break.has_value(); }
};

// progress(events_checked) is called every 100,000 events when given.
Result<VerifyReport> verify_store(const Database& database,
                                  const std::function<void(std::uint64_t)>& progress = {});

}  // namespace kakitome
