#include "events/chain_verifier.h"

#include "events/event.h"

namespace kakitome {

std::optional<ChainBreak> ChainVerifier::accept(Seq key, std::string_view stored) {
    const Seq expected{last_seq_.value + 1};
    if (key != expected) {
        return ChainBreak{expected,
                          "missing: the next stored event has seq " + std::to_string(key.value)};
    }
    auto decoded = decode_stored_event(stored);
    if (!decoded.is_ok()) return ChainBreak{key, decoded.status().message()};
    const RecordedEvent& event = decoded.value();

    const std::string_view canonical = stored.substr(event.hash.size());
    if (sha256(canonical) != event.hash) {
        return ChainBreak{key, "hash does not match the event's bytes"};
    }
    if (event.seq != key) {
        return ChainBreak{key, "envelope says seq " + std::to_string(event.seq.value)};
    }
    if (event.prev_hash != head_hash_) {
        return ChainBreak{
            key, "prev_hash does not match the hash of seq " + std::to_string(last_seq_.value)};
    }
    // The hash covers the bytes, but a second spelling of the same JSON would let two different
    // byte strings claim the same event; only the canonical spelling is accepted.
    if (canonical_bytes(event) != canonical) {
        return ChainBreak{key, "envelope bytes are not in canonical form"};
    }
    if (event.at < last_at_) return ChainBreak{key, "timestamp is earlier than the previous event"};

    last_seq_ = key;
    head_hash_ = event.hash;
    last_at_ = event.at;
    return std::nullopt;
}

}  // namespace kakitome
