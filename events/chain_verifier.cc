#include "events/chain_verifier.h"

#include "events/base/json_text.h"
#include "events/canonical_json.h"
#include "events/event.h"

namespace kakitome {

namespace {

// The payload's nesting limit is the store's, one below canonical JSON's: the payload sits one
// level inside the envelope.
bool is_canonical_json(std::string_view text) {
    auto canonical = canonicalize_json(text, kMaxPayloadNesting);
    return canonical.is_ok() && canonical.value() == text;
}

// The read path's decoder copies the envelope's plain strings as bytes; the strict decoder's
// parse refused ill-formed UTF-8 in them, and so must the verifier.
bool envelope_strings_are_utf8(const RecordedEvent& event) {
    for (const std::string* text : {&event.stream, &event.type, &event.at, &event.actor,
                                    &event.correlation, &event.causation})
        if (!is_valid_utf8(*text)) return false;
    return true;
}

}  // namespace

std::optional<ChainBreak> ChainVerifier::accept(Seq key, std::string_view stored) {
    const Seq expected{last_seq_.value + 1};
    if (key != expected) {
        return ChainBreak{expected,
                          "missing: the next stored event has seq " + std::to_string(key.value)};
    }
    // The read path's decoder takes the fields from where the canonical layout puts them (and
    // hands anything else to the strict decoder); the bytes are then held to the canonical
    // spelling of what it read, so a second spelling of the same event is refused as the strict
    // decoder's re-serialisation would refuse it, without building a JSON document per event.
    if (Status decoded = decode_stored_event_for_reading_into(stored, event_); !decoded.is_ok())
        return ChainBreak{key, decoded.message()};
    const RecordedEvent& event = event_;

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
    // byte strings claim the same event; only the canonical spelling is accepted: the envelope
    // as canonical_bytes lays it out, its strings well-formed UTF-8, around a payload that is its
    // own canonical form.
    if (canonical_bytes(event) != canonical || !envelope_strings_are_utf8(event) ||
        !is_canonical_json(event.payload_json)) {
        return ChainBreak{key, "envelope bytes are not in canonical form"};
    }
    if (event.at < last_at_) return ChainBreak{key, "timestamp is earlier than the previous event"};

    last_seq_ = key;
    head_hash_ = event.hash;
    last_at_ = event.at;
    return std::nullopt;
}

}  // namespace kakitome
