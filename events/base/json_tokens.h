// JsonTokens: a JSON text read into a flat list of its values, in document order, without building
// a document: no allocation per value, and none per text once the list and the parser have grown
// to the texts a thread sees (a thread that lives for one page of a catch-up grows them once). A
// list grown past 4096 tokens by a rare large text is released at the next parse. It is the fast
// way for a reader that walks a small text once, such as an event payload decoded into its struct
// (a replay decodes millions).
//
// Layout: each value is one token. An object's or an array's token is followed by its contents,
// and its `end` is the index one past them. In an object the contents alternate: a key token, then
// that key's value. Keys and strings are unescaped views into the parser's buffers, valid until the
// next parse() of the same JsonTokens.
//
// parse() answers false for every text it does not read: anything simdjson refuses (not JSON,
// invalid UTF-8, an integer beyond 64 bits, nesting deeper than 1024) and texts over
// kMaxTokenizedBytes. The caller then takes its document way (nlohmann::json), whose errors are
// the ones users see, so both ways fail alike. Numbers keep simdjson's kinds: an integer that fits
// in int64 is signed_integer, a larger one unsigned_integer, anything with a fraction or an
// exponent floating. Not thread-safe: one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace kakitome {

// Larger texts are not tokenized, so no thread keeps a parser sized for a rare large text.
inline constexpr std::size_t kMaxTokenizedBytes = 64 * 1024;

struct JsonToken {
    enum class Kind : std::uint8_t {
        object,
        array,
        key,
        string,
        signed_integer,
        unsigned_integer,
        floating,
        boolean,
        null
    };
    Kind kind = Kind::null;
    bool boolean = false;
    std::uint32_t end = 0;  // object and array: one past the last token of the contents
    std::int64_t signed_integer = 0;
    std::uint64_t unsigned_integer = 0;
    double floating = 0;
    std::string_view text;  // key and string
};

class JsonTokens {
  public:
    JsonTokens();
    ~JsonTokens();
    JsonTokens(const JsonTokens&) = delete;
    JsonTokens& operator=(const JsonTokens&) = delete;

    bool parse(std::string_view text);
    const std::vector<JsonToken>& tokens() const { return tokens_; }

  private:
    struct Parser;
    std::unique_ptr<Parser> parser_;
    std::vector<JsonToken> tokens_;
};

// The index of the token after the value at `index` and all its contents.
inline std::size_t after_json_value(const std::vector<JsonToken>& tokens, std::size_t index) {
    const JsonToken& token = tokens[index];
    return token.kind == JsonToken::Kind::object || token.kind == JsonToken::Kind::array
               ? token.end
               : index + 1;
}

}  // namespace kakitome
