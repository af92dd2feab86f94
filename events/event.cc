#include "events/event.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "events/base/json_text.h"

namespace kakitome {

using nlohmann::json;

namespace {

// nlohmann::json keeps object keys in a std::map, so dump() emits them sorted by their UTF-8
// bytes; with no indent it emits no whitespace. Strings are checked to be valid UTF-8.
std::string dump_canonical(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
}

json envelope_without_hash(const RecordedEvent& event, json payload) {
    return json{
        {"seq", event.seq.value},
        {"stream", event.stream},
        {"version", event.version.value},
        {"type", event.type},
        {"schema", event.schema},
        {"at", event.at},
        {"actor", event.actor},
        {"correlation", event.correlation},
        {"causation", event.causation},
        {"payload", std::move(payload)},
        {"prev_hash", to_hex(event.prev_hash)},
    };
}

}  // namespace

Status validate_stream_name(std::string_view stream) {
    if (stream.empty()) return Status::invalid_argument("stream name is empty");
    if (stream.size() > kMaxStreamNameBytes) {
        return Status::invalid_argument("stream name is " + std::to_string(stream.size()) +
                                        " bytes; the limit is " +
                                        std::to_string(kMaxStreamNameBytes));
    }
    for (unsigned char c : stream) {
        if (c < 0x20 || c == 0x7f) {
            return Status::invalid_argument("stream name contains a control character");
        }
    }
    if (!is_valid_utf8(stream)) return Status::invalid_argument("stream name is not valid UTF-8");
    return Status::ok();
}

Status validate_and_canonicalize(NewEvent& event) {
    if (event.type.empty()) return Status::invalid_argument("event type is empty");
    if (event.type.size() > kMaxEventTypeBytes) {
        return Status::invalid_argument("event type is longer than " +
                                        std::to_string(kMaxEventTypeBytes) + " bytes");
    }
    if (event.payload_json.size() > kMaxPayloadBytes) {
        return Status::resource_exhausted(
            event.type + " payload is " + std::to_string(event.payload_json.size()) +
            " bytes; the limit is " + std::to_string(kMaxPayloadBytes));
    }
    for (const std::string* text :
         {&event.type, &event.actor, &event.correlation, &event.causation}) {
        if (!is_valid_utf8(*text)) {
            return Status::invalid_argument("event envelope field is not valid UTF-8");
        }
    }
    auto canonical = canonicalize_json(event.payload_json, kMaxPayloadNesting);
    if (!canonical.is_ok()) return canonical.status();
    // The limit is on stored bytes, and the canonical form can be longer than what was sent
    // ("1E2" becomes "100.0"), so check again after canonicalising.
    if (canonical->size() > kMaxPayloadBytes) {
        return Status::resource_exhausted(
            event.type + " payload is " + std::to_string(canonical->size()) +
            " bytes in canonical form; the limit is " + std::to_string(kMaxPayloadBytes));
    }
    event.payload_json = std::move(canonical).value();
    return Status::ok();
}

std::string canonical_bytes(const RecordedEvent& event) {
    // Hand-assembled in sorted key order so the append path never re-parses the payload, which
    // is canonical already. Tests check this equals dump_canonical(envelope_without_hash(...)).
    std::string out;
    out.reserve(event.payload_json.size() + event.stream.size() + 320);
    out += "{\"actor\":";
    append_json_string(out, event.actor);
    out += ",\"at\":";
    append_json_string(out, event.at);
    out += ",\"causation\":";
    append_json_string(out, event.causation);
    out += ",\"correlation\":";
    append_json_string(out, event.correlation);
    out += ",\"payload\":";
    out += event.payload_json;
    out += ",\"prev_hash\":\"";
    out += to_hex(event.prev_hash);
    out += "\",\"schema\":";
    out += std::to_string(event.schema);
    out += ",\"seq\":";
    out += std::to_string(event.seq.value);
    out += ",\"stream\":";
    append_json_string(out, event.stream);
    out += ",\"type\":";
    append_json_string(out, event.type);
    out += ",\"version\":";
    out += std::to_string(event.version.value);
    out += "}";
    return out;
}

std::string canonical_bytes_reference(const RecordedEvent& event) {
    return dump_canonical(envelope_without_hash(event, json::parse(event.payload_json)));
}

std::string RecordedEvent::to_json() const {
    json envelope = envelope_without_hash(*this, json::parse(payload_json));
    envelope["hash"] = to_hex(hash);
    return dump_canonical(envelope);
}

std::string encode_stored_event(const RecordedEvent& event, std::string_view canonical) {
    std::string stored;
    stored.reserve(event.hash.size() + canonical.size());
    stored.append(reinterpret_cast<const char*>(event.hash.data()), event.hash.size());
    stored.append(canonical);
    return stored;
}

Result<RecordedEvent> decode_stored_event(std::string_view stored) {
    RecordedEvent event;
    if (stored.size() <= event.hash.size()) {
        return Status::corruption("stored event is " + std::to_string(stored.size()) +
                                  " bytes, too short to hold a hash and an envelope");
    }
    std::copy_n(reinterpret_cast<const std::uint8_t*>(stored.data()), event.hash.size(),
                event.hash.begin());
    try {
        const json envelope = json::parse(stored.substr(event.hash.size()));
        event.seq = Seq{envelope.at("seq").get<std::uint64_t>()};
        event.stream = envelope.at("stream").get<std::string>();
        event.version = StreamVersion{envelope.at("version").get<std::uint64_t>()};
        event.type = envelope.at("type").get<std::string>();
        event.schema = envelope.at("schema").get<int>();
        event.at = envelope.at("at").get<std::string>();
        event.actor = envelope.at("actor").get<std::string>();
        event.correlation = envelope.at("correlation").get<std::string>();
        event.causation = envelope.at("causation").get<std::string>();
        event.payload_json = dump_canonical(envelope.at("payload"));
        auto prev = sha256_from_hex(envelope.at("prev_hash").get<std::string>());
        if (!prev) return Status::corruption("prev_hash is not 64 hex digits");
        event.prev_hash = *prev;
        if (envelope.size() != 11) return Status::corruption("envelope has unexpected fields");
    } catch (const json::exception& error) {
        return Status::corruption(std::string("stored envelope does not parse: ") + error.what());
    }
    return event;
}

namespace {

// A cursor over canonical envelope bytes; every reader returns false on anything unexpected.
struct EnvelopeScanner {
    std::string_view text;
    std::size_t at = 0;

    bool literal(std::string_view expected) {
        if (text.substr(at, expected.size()) != expected) return false;
        at += expected.size();
        return true;
    }
    // A JSON string without escapes (the common case); escaped ones go to the strict decoder.
    bool plain_string_view(std::string_view& out) {
        if (at >= text.size() || text[at] != '"') return false;
        const auto end = text.find('"', at + 1);
        if (end == std::string_view::npos) return false;
        const auto body = text.substr(at + 1, end - at - 1);
        if (body.find('\\') != std::string_view::npos) return false;
        out = body;
        at = end + 1;
        return true;
    }
    // assign() keeps the string's capacity, so decoding into a reused event allocates nothing.
    bool plain_string(std::string& out) {
        std::string_view body;
        if (!plain_string_view(body)) return false;
        out.assign(body);
        return true;
    }
    bool unsigned_number(std::uint64_t& out) {
        const auto* begin = text.data() + at;
        auto [end, error] = std::from_chars(begin, text.data() + text.size(), out);
        if (error != std::errc() || end == begin) return false;
        at += static_cast<std::size_t>(end - begin);
        return true;
    }
    // The index of the quote that closes the string opened at `open`, or npos. Strings are most
    // of a payload's bytes, so they are skipped a quote at a time (memchr), not a byte at a time.
    std::size_t closing_quote(std::size_t open) const {
        for (std::size_t quote = open + 1;; ++quote) {
            quote = text.find('"', quote);
            if (quote == std::string_view::npos) return quote;
            std::size_t backslashes = 0;
            while (quote - backslashes - 1 > open && text[quote - backslashes - 1] == '\\')
                ++backslashes;
            if (backslashes % 2 == 0) return quote;  // an odd count escapes this quote
        }
    }
    // The extent of one JSON value (object, array, string, number, literal), taken verbatim.
    bool raw_value(std::string& out) {
        const std::size_t begin = at;
        int depth = 0;
        while (at < text.size()) {
            const char c = text[at];
            if (c == '"') {
                const std::size_t quote = closing_quote(at);
                if (quote == std::string_view::npos) return false;
                at = quote + 1;
                if (depth == 0) break;
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (depth == 0) break;  // the end of the enclosing envelope
                if (--depth == 0) {
                    ++at;
                    break;
                }
            } else if (c == ',' && depth == 0) {
                break;
            }
            ++at;
        }
        if (at == begin || depth != 0) return false;
        out.assign(text.substr(begin, at - begin));
        return true;
    }
};

}  // namespace

Status decode_stored_event_for_reading_into(std::string_view stored, RecordedEvent& event) {
    const auto strict = [&]() -> Status {
        auto decoded = decode_stored_event(stored);
        if (!decoded.is_ok()) return decoded.status();
        event = std::move(decoded).value();
        return Status::ok();
    };
    if (stored.size() <= event.hash.size()) return strict();
    std::copy_n(reinterpret_cast<const std::uint8_t*>(stored.data()), event.hash.size(),
                event.hash.begin());
    EnvelopeScanner scan{stored.substr(event.hash.size())};
    std::string_view prev_hash;
    std::uint64_t schema = 0, seq = 0, version = 0;
    const bool fast = scan.literal("{\"actor\":") && scan.plain_string(event.actor) &&
                      scan.literal(",\"at\":") && scan.plain_string(event.at) &&
                      scan.literal(",\"causation\":") && scan.plain_string(event.causation) &&
                      scan.literal(",\"correlation\":") && scan.plain_string(event.correlation) &&
                      scan.literal(",\"payload\":") && scan.raw_value(event.payload_json) &&
                      scan.literal(",\"prev_hash\":") && scan.plain_string_view(prev_hash) &&
                      scan.literal(",\"schema\":") && scan.unsigned_number(schema) &&
                      scan.literal(",\"seq\":") && scan.unsigned_number(seq) &&
                      scan.literal(",\"stream\":") && scan.plain_string(event.stream) &&
                      scan.literal(",\"type\":") && scan.plain_string(event.type) &&
                      scan.literal(",\"version\":") && scan.unsigned_number(version) &&
                      scan.literal("}") && scan.at == scan.text.size();
    auto prev = fast ? sha256_from_hex(prev_hash) : std::nullopt;
    if (!fast || !prev || schema > 1000000) return strict();
    event.prev_hash = *prev;
    event.schema = static_cast<int>(schema);
    event.seq = Seq{seq};
    event.version = StreamVersion{version};
    return Status::ok();
}

Result<RecordedEvent> decode_stored_event_for_reading(std::string_view stored) {
    RecordedEvent event;
    KAKITOME_RETURN_IF_ERROR(decode_stored_event_for_reading_into(stored, event));
    return event;
}

}  // namespace kakitome
