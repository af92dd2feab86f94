// ChainVerifier walks stored events in seq order and finds the first one that breaks the hash
// chain: a gap or reordering, a record that does not decode, a hash that does not match the
// stored canonical bytes, a prev_hash that does not match the previous hash, non-canonical bytes,
// or time running backwards. It is pure (no I/O) so the store, `kakitome verify` and export
// verification share one definition of "intact".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "events/base/sha256.h"
#include "events/domain_types.h"
#include "events/event.h"

namespace kakitome {

struct ChainBreak {
    Seq seq;             // the first event that fails
    std::string reason;  // why, in words
};

class ChainVerifier {
  public:
    // Feed the next stored record: its key (the seq it is stored under) and its value.
    std::optional<ChainBreak> accept(Seq key, std::string_view stored);

    // The event accept() last read, valid until the next call: what a caller checks further
    // (the stream index, the Merkle tree) without decoding the record again.
    const RecordedEvent& last_event() const { return event_; }
    Seq last_seq() const { return last_seq_; }
    const Sha256Digest& head_hash() const { return head_hash_; }

  private:
    Seq last_seq_{0};
    Sha256Digest head_hash_{};  // all zero before seq 1
    std::string last_at_;
    RecordedEvent event_;  // reused: decoding into it allocates nothing once its strings grew
};

}  // namespace kakitome
