// Typed events over the store's envelope: how domain code makes a NewEvent from a payload struct
// and reads a payload struct back from a RecordedEvent.
//
// Contract:
// - new_event(payload, context) sets the type and schema from the payload struct, so a type name
//   is spelled once, in the struct.
// - decode<P>(event) reads an event that is at P's current schema; an event of another type, of
//   an older schema (read it through for_each_current_event(), which upgrades it) or with a bad
//   payload is a Status, never an exception and never a payload of empty strings.
// - decode<P, &P::a, &P::b>(event) reads only those members (payload_codec.h): the others stay
//   as P{} has them, unread and unchecked.
#pragma once

#include <string>
#include <string_view>

#include "engine/domain/payload_codec.h"
#include "events/event.h"

namespace kakitome::domain {

// The envelope fields a caller chooses; the store assigns the rest.
struct EventContext {
    std::string actor = "system";
    std::string correlation;
    std::string causation;
};

template <EventPayload Payload>
NewEvent new_event(const Payload& payload, EventContext context = {}) {
    return NewEvent{.type = std::string(Payload::kType),
                    .payload_json = encode_payload(payload),
                    .schema = Payload::kSchema,
                    .actor = std::move(context.actor),
                    .correlation = std::move(context.correlation),
                    .causation = std::move(context.causation)};
}

template <EventPayload Payload>
bool is(const RecordedEvent& event) {
    return event.type == Payload::kType;
}
template <EventPayload Payload>
bool is(const NewEvent& event) {
    return event.type == Payload::kType;
}

// Parses a payload's JSON text without throwing.
Result<nlohmann::json> parse_payload_json(std::string_view type, std::string_view text);
// A payload's JSON text as tokens, read by this thread's JsonTokens: valid until the thread's next
// call. Null when the text is not tokenized (decode then takes the document way).
const std::vector<JsonToken>* tokenize_payload(std::string_view text);

template <EventPayload Payload, auto... Members>
Result<Payload> decode(const RecordedEvent& event) {
    if (event.type != Payload::kType) {
        return Status::internal("event " + std::to_string(event.seq.value) + " is " + event.type +
                                ", not " + std::string(Payload::kType))
            .with_reason("bad_payload");
    }
    if (event.schema != Payload::kSchema) {
        return Status::internal("event " + std::to_string(event.seq.value) + " is " + event.type +
                                " schema " + std::to_string(event.schema) + "; this reader reads " +
                                "schema " + std::to_string(Payload::kSchema) +
                                " (read events through for_each_current_event)")
            .with_reason("bad_payload");
    }
    // Most payloads take the tokens, without a document; every other text, and every error, is
    // the document's (payload_codec.h).
    if (const auto* tokens = tokenize_payload(event.payload_json)) {
        Payload payload{};
        if (payload_from_tokens<Payload, Members...>(*tokens, payload)) return payload;
    }
    auto json = parse_payload_json(event.type, event.payload_json);
    if (!json.is_ok()) return json.status();
    auto payload = payload_from_json<Payload, Members...>(json.value());
    if (!payload.is_ok()) {
        return Status(payload.status().code(), "event " + std::to_string(event.seq.value) + ": " +
                                                   payload.status().message())
            .with_reason("bad_payload");
    }
    return payload;
}

// A pending event (not yet appended) read back, e.g. to fold it before the append.
template <EventPayload Payload>
Result<Payload> decode(const NewEvent& event) {
    RecordedEvent pending;
    pending.type = event.type;
    pending.schema = event.schema;
    pending.payload_json = event.payload_json;
    return decode<Payload>(pending);
}

}  // namespace kakitome::domain

namespace kakitome::domain {

// Calls apply(payload) when `event` is of P's type; a payload that does not decode is returned
// as the error, so a fold can never read a field as empty because it was misspelt or missing.
template <EventPayload Payload, typename Event, typename Apply>
Status when(const Event& event, Apply&& apply) {
    if (!is<Payload>(event)) return Status::ok();
    auto payload = decode<Payload>(event);
    if (!payload.is_ok()) return payload.status();
    apply(payload.value());
    return Status::ok();
}

}  // namespace kakitome::domain
