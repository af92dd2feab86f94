#include "events/base/json_tokens.h"

#include <simdjson.h>

#include <string>

namespace kakitome {

struct JsonTokens::Parser {
    simdjson::dom::parser parser{kMaxTokenizedBytes};
    // The text with simdjson's padding after it, kept so no parse allocates.
    std::string padded;
};

JsonTokens::JsonTokens() : parser_(std::make_unique<Parser>()) {}
JsonTokens::~JsonTokens() = default;

namespace {

using Kind = JsonToken::Kind;

void append_tokens(simdjson::dom::element value, std::vector<JsonToken>& tokens) {
    using simdjson::dom::element_type;
    JsonToken token;
    switch (value.type()) {
        case element_type::OBJECT: {
            const std::size_t at = tokens.size();
            token.kind = Kind::object;
            tokens.push_back(token);
            // Named first: iterating the temporary result dangles (GCC says so, rightly).
            const simdjson::dom::object object = value.get_object().value_unsafe();
            for (const auto field : object) {
                JsonToken key;
                key.kind = Kind::key;
                key.text = field.key;
                tokens.push_back(key);
                append_tokens(field.value, tokens);
            }
            tokens[at].end = static_cast<std::uint32_t>(tokens.size());
            return;
        }
        case element_type::ARRAY: {
            const std::size_t at = tokens.size();
            token.kind = Kind::array;
            tokens.push_back(token);
            const simdjson::dom::array array = value.get_array().value_unsafe();
            for (const auto item : array) append_tokens(item, tokens);
            tokens[at].end = static_cast<std::uint32_t>(tokens.size());
            return;
        }
        case element_type::STRING:
            token.kind = Kind::string;
            token.text = value.get_string().value_unsafe();
            break;
        case element_type::INT64:
            token.kind = Kind::signed_integer;
            token.signed_integer = value.get_int64().value_unsafe();
            break;
        case element_type::UINT64:
            token.kind = Kind::unsigned_integer;
            token.unsigned_integer = value.get_uint64().value_unsafe();
            break;
        case element_type::DOUBLE:
            token.kind = Kind::floating;
            token.floating = value.get_double().value_unsafe();
            break;
        case element_type::BOOL:
            token.kind = Kind::boolean;
            token.boolean = value.get_bool().value_unsafe();
            break;
        case element_type::NULL_VALUE:
            token.kind = Kind::null;
            break;
    }
    tokens.push_back(token);
}

}  // namespace

bool JsonTokens::parse(std::string_view text) {
    // A list grown by a rare large text is let go (a 64 KiB array of zeros is 1.5 MB of tokens),
    // so a long-lived thread keeps only what everyday payloads need.
    constexpr std::size_t kKeptTokens = 4096;
    if (tokens_.capacity() > kKeptTokens) tokens_ = std::vector<JsonToken>();
    tokens_.clear();
    if (text.size() > kMaxTokenizedBytes) return false;
    parser_->padded.assign(text);
    parser_->padded.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::element root;
    if (parser_->parser.parse(parser_->padded.data(), text.size(), /*realloc_if_needed=*/false)
            .get(root) != simdjson::SUCCESS)
        return false;
    append_tokens(root, tokens_);
    return true;
}

}  // namespace kakitome
