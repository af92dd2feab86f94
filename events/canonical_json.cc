#include "events/canonical_json.h"

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <optional>

#include "events/base/json_text.h"

namespace kakitome {

namespace {

using nlohmann::json;

Status not_json(const std::string& why) {
    return Status::invalid_argument("payload is not valid UTF-8 JSON: " + why);
}

// Texts up to this size are parsed by a parser each thread keeps, so the hot path allocates
// nothing; a larger text gets a parser of its own, whose buffers (several times the text) are
// freed with it instead of staying with every thread that once saw a big payload.
constexpr std::size_t kKeptParserBytes = 64 * 1024;

template <typename Integer>
void append_integer(std::string& out, Integer value) {
    char digits[24];
    const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, end);
}

// Prints a parsed value in canonical form when it already is in that order: every object's keys
// strictly ascending by their bytes and no floating-point number. Anything else returns false
// (keys out of order must be sorted and duplicates resolved as the document does, the last one
// winning; a float's shortest form is nlohmann's own printing), and the caller takes the document
// way.
bool print_if_ordered(simdjson::dom::element value, std::string& out) {
    using simdjson::dom::element_type;
    switch (value.type()) {
        case element_type::OBJECT: {
            out.push_back('{');
            bool first = true;
            std::string_view previous_key;
            const simdjson::dom::object object = value.get_object().value_unsafe();
            for (const auto field : object) {
                if (!first && field.key <= previous_key) return false;
                if (!first) out.push_back(',');
                first = false;
                previous_key = field.key;
                append_json_string(out, field.key);
                out.push_back(':');
                if (!print_if_ordered(field.value, out)) return false;
            }
            out.push_back('}');
            return true;
        }
        case element_type::ARRAY: {
            out.push_back('[');
            bool first = true;
            const simdjson::dom::array array = value.get_array().value_unsafe();
            for (const auto element : array) {
                if (!first) out.push_back(',');
                first = false;
                if (!print_if_ordered(element, out)) return false;
            }
            out.push_back(']');
            return true;
        }
        case element_type::STRING:
            append_json_string(out, value.get_string().value_unsafe());
            return true;
        case element_type::INT64:
            append_integer(out, value.get_int64().value_unsafe());
            return true;
        case element_type::UINT64:
            append_integer(out, value.get_uint64().value_unsafe());
            return true;
        case element_type::BOOL:
            out += value.get_bool().value_unsafe() ? "true" : "false";
            return true;
        case element_type::NULL_VALUE:
            out += "null";
            return true;
        case element_type::DOUBLE:
            return false;
    }
    return false;
}

// The one-pass way: simdjson validates the text (UTF-8 included) and the canonical text is printed
// from its parse. Empty when the text must take the document way: not ordered, a float, or
// anything simdjson refuses (the document then gives the error, in nlohmann's words, so both ways
// fail alike). simdjson refuses invalid UTF-8 and lone escaped surrogates as nlohmann does, so
// every string it hands over prints as valid UTF-8 (CanonicalJson.* holds both to that).
std::optional<std::string> canonical_if_ordered(simdjson::dom::parser& parser,
                                                std::string_view json_text) {
    simdjson::dom::element root;
    if (parser.parse(json_text.data(), json_text.size()).get(root) != simdjson::SUCCESS)
        return std::nullopt;
    std::string out;
    out.reserve(json_text.size());
    if (!print_if_ordered(root, out)) return std::nullopt;
    return out;
}

}  // namespace

Result<std::string> canonicalize_json_through_document(std::string_view json_text) {
    try {
        return json::parse(json_text).dump(-1, ' ', false, json::error_handler_t::strict);
    } catch (const json::exception& error) {
        return not_json(error.what());
    }
}

Result<std::string> canonicalize_json(std::string_view json_text) {
    std::optional<std::string> canonical;
    if (json_text.size() <= kKeptParserBytes) {
        thread_local simdjson::dom::parser kept_parser(kKeptParserBytes);
        canonical = canonical_if_ordered(kept_parser, json_text);
    } else {
        simdjson::dom::parser parser;
        canonical = canonical_if_ordered(parser, json_text);
    }
    if (canonical) return std::move(*canonical);
    return canonicalize_json_through_document(json_text);
}

}  // namespace kakitome
