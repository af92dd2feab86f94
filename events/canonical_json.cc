#include "events/canonical_json.h"

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <algorithm>
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

Status too_deep(int max_nesting) {
    return not_json("nested deeper than " + std::to_string(max_nesting) + " arrays and objects");
}

// Counts how deep arrays and objects nest, stopping at the first level past the limit or at the
// first syntax error (the document's own parse then says what the error is).
class NestingCounter : public nlohmann::json_sax<json> {
  public:
    explicit NestingCounter(int max_nesting) : max_nesting_(max_nesting) {}
    bool too_deep() const { return too_deep_; }

    bool start_object(std::size_t) override { return open(); }
    bool start_array(std::size_t) override { return open(); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool key(string_t&) override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

  private:
    bool open() {
        too_deep_ = ++depth_ > max_nesting_;
        return !too_deep_;
    }
    bool close() {
        --depth_;
        return true;
    }
    const int max_nesting_;
    int depth_ = 0;
    bool too_deep_ = false;
};

enum class Printed { canonical, not_ordered, too_deep };

// Prints a parsed value in canonical form when it already is in that order: every object's keys
// strictly ascending by their bytes and no floating-point number. Anything else answers
// not_ordered (keys out of order must be sorted and duplicates resolved as the document does, the
// last one winning; a float's shortest form is nlohmann's own printing), and the caller takes the
// document way. `nesting_left` is how many more arrays and objects may open.
Printed print_if_ordered(simdjson::dom::element value, std::string& out, int nesting_left) {
    using simdjson::dom::element_type;
    const element_type type = value.type();
    if ((type == element_type::OBJECT || type == element_type::ARRAY) && nesting_left <= 0)
        return Printed::too_deep;
    switch (type) {
        case element_type::OBJECT: {
            out.push_back('{');
            bool first = true;
            std::string_view previous_key;
            const simdjson::dom::object object = value.get_object().value_unsafe();
            for (const auto field : object) {
                if (!first && field.key <= previous_key) return Printed::not_ordered;
                if (!first) out.push_back(',');
                first = false;
                previous_key = field.key;
                append_json_string(out, field.key);
                out.push_back(':');
                const Printed printed = print_if_ordered(field.value, out, nesting_left - 1);
                if (printed != Printed::canonical) return printed;
            }
            out.push_back('}');
            return Printed::canonical;
        }
        case element_type::ARRAY: {
            out.push_back('[');
            bool first = true;
            const simdjson::dom::array array = value.get_array().value_unsafe();
            for (const auto element : array) {
                if (!first) out.push_back(',');
                first = false;
                const Printed printed = print_if_ordered(element, out, nesting_left - 1);
                if (printed != Printed::canonical) return printed;
            }
            out.push_back(']');
            return Printed::canonical;
        }
        case element_type::STRING:
            append_json_string(out, value.get_string().value_unsafe());
            return Printed::canonical;
        case element_type::INT64:
            append_integer(out, value.get_int64().value_unsafe());
            return Printed::canonical;
        case element_type::UINT64:
            append_integer(out, value.get_uint64().value_unsafe());
            return Printed::canonical;
        case element_type::BOOL:
            out += value.get_bool().value_unsafe() ? "true" : "false";
            return Printed::canonical;
        case element_type::NULL_VALUE:
            out += "null";
            return Printed::canonical;
        case element_type::DOUBLE:
            return Printed::not_ordered;
    }
    return Printed::not_ordered;
}

// The one-pass way: simdjson validates the text (UTF-8 included) and the canonical text is printed
// from its parse. Empty when the text must take the document way: not ordered, a float, or
// anything simdjson refuses (the document then gives the error, in nlohmann's words, so both ways
// fail alike). simdjson refuses invalid UTF-8 and lone escaped surrogates as nlohmann does, so
// every string it hands over prints as valid UTF-8 (CanonicalJson.* holds both to that).
std::optional<Result<std::string>> canonical_if_ordered(simdjson::dom::parser& parser,
                                                        std::string_view json_text,
                                                        int max_nesting) {
    simdjson::dom::element root;
    // simdjson's own depth limit (DEPTH_ERROR) is left to the document's exact count.
    if (parser.parse(json_text.data(), json_text.size()).get(root) != simdjson::SUCCESS)
        return std::nullopt;
    std::string out;
    out.reserve(json_text.size());
    switch (print_if_ordered(root, out, max_nesting)) {
        case Printed::canonical:
            return Result<std::string>(std::move(out));
        case Printed::too_deep:
            return Result<std::string>(too_deep(max_nesting));
        case Printed::not_ordered:
            break;
    }
    return std::nullopt;
}

}  // namespace

Result<std::string> canonicalize_json_through_document(std::string_view json_text,
                                                       int max_nesting) {
    max_nesting = std::min(max_nesting, kMaxJsonNesting);
    // dump() recurses once per level, so the depth is checked first, by a pass that builds
    // nothing (the parser keeps its own stack). Not a parse callback: nlohmann's callback parser
    // scans the parent container each time an object closes, quadratic in a long array.
    NestingCounter counter(max_nesting);
    json::sax_parse(json_text, &counter);
    if (counter.too_deep()) return too_deep(max_nesting);
    try {
        return json::parse(json_text).dump(-1, ' ', false, json::error_handler_t::strict);
    } catch (const json::exception& error) {
        return not_json(error.what());
    }
}

Result<std::string> canonicalize_json(std::string_view json_text, int max_nesting) {
    max_nesting = std::min(max_nesting, kMaxJsonNesting);
    std::optional<Result<std::string>> canonical;
    if (json_text.size() <= kKeptParserBytes) {
        thread_local simdjson::dom::parser kept_parser(kKeptParserBytes);
        canonical = canonical_if_ordered(kept_parser, json_text, max_nesting);
    } else {
        simdjson::dom::parser parser;
        canonical = canonical_if_ordered(parser, json_text, max_nesting);
    }
    if (canonical) return std::move(*canonical);
    return canonicalize_json_through_document(json_text, max_nesting);
}

}  // namespace kakitome
