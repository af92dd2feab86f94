// The event envelope (docs/design.md §2) and its canonical bytes.
//
// Canonical bytes = the envelope without `hash`, as JSON with sorted keys, no whitespace, UTF-8
// (non-ASCII kept as is). hash = SHA-256(canonical bytes); prev_hash is the previous event's
// hash, 32 zero bytes for seq 1. Hashes appear in JSON as 64 lowercase hex digits.
//
// The stored record keeps the canonical bytes verbatim next to the hash, so verification hashes
// exactly the bytes that were written and never depends on re-serialising parsed JSON.
#pragma once

#include <string>
#include <string_view>

#include "events/base/sha256.h"
#include "events/base/status.h"
#include "events/canonical_json.h"  // canonicalize_json: every payload is stored canonical
#include "events/domain_types.h"

namespace kakitome {

inline constexpr std::size_t kMaxStreamNameBytes = 256;
inline constexpr std::size_t kMaxPayloadBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxEventTypeBytes = 128;
// One level less than canonical JSON's limit: the envelope holds the payload one level deeper,
// and an exported ledger's verifier canonicalises the whole envelope again.
inline constexpr int kMaxPayloadNesting = kMaxJsonNesting - 1;

// What a caller asks to append. The store assigns seq, version, at, prev_hash and hash.
struct NewEvent {
    std::string type;          // e.g. FormMailReceived (engine/domain/ defines them)
    std::string payload_json;  // a JSON object or value, valid UTF-8
    int schema = 1;
    std::string actor = "system";  // principal id or "system"
    std::string correlation;
    std::string causation;
};

// An event as stored. payload_json is in canonical form (sorted keys, no whitespace).
struct RecordedEvent {
    Seq seq;
    std::string stream;
    StreamVersion version;
    std::string type;
    int schema = 1;
    std::string at;  // RFC 3339 UTC with milliseconds, e.g. 2026-11-24T08:21:35.123Z
    std::string actor;
    std::string correlation;
    std::string causation;
    std::string payload_json;
    Sha256Digest prev_hash{};
    Sha256Digest hash{};

    // The envelope including `hash`, canonical JSON: what the CLI and API print.
    std::string to_json() const;
};

// Checks the parts of an append a caller controls. Nothing is written when this fails.
Status validate_stream_name(std::string_view stream);
// On success replaces event.payload_json by its canonical form.
Status validate_and_canonicalize(NewEvent& event);

// Canonical bytes of the envelope without hash. The payload must already be canonical.
std::string canonical_bytes(const RecordedEvent& event);
// The same bytes built by serialising a whole JSON document; slower, kept as a cross-check.
std::string canonical_bytes_reference(const RecordedEvent& event);

// The value stored under the event's key: 32 raw hash bytes followed by the canonical bytes.
std::string encode_stored_event(const RecordedEvent& event, std::string_view canonical);

// Decodes a stored value. Checks structure only (hash length, JSON shape, field types): whether
// the hash matches the bytes is the chain verifier's job, so that it can name the bad seq.
Result<RecordedEvent> decode_stored_event(std::string_view stored);

// The read path's decoder: scans the canonical envelope in place (no JSON tree, the payload
// kept as stored) and falls back to decode_stored_event() for anything it does not expect
// (escaped characters in string fields, another layout). Unlike decode_stored_event it does
// not re-canonicalise the payload or check the strings' UTF-8, so it is for reading what the
// store wrote; the chain verifier holds what it decodes to the canonical spelling itself.
Result<RecordedEvent> decode_stored_event_for_reading(std::string_view stored);
// The same into an event that already exists: its strings keep their capacity, so a reader that
// reuses its events decodes without allocating.
Status decode_stored_event_for_reading_into(std::string_view stored, RecordedEvent& event);

}  // namespace kakitome
