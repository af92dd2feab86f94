#include "events/canonical_json.h"

#include <nlohmann/json.hpp>

#include <vector>

#include "events/base/json_text.h"

namespace kakitome {

namespace {

using nlohmann::json;

Status not_json(const std::string& why) {
    return Status::invalid_argument("payload is not valid UTF-8 JSON: " + why);
}

// Writes the canonical text as the parser reads, while every object's keys arrive in strictly
// ascending order and no number is a float. Anything else stops the parse (`needs_document`):
// keys out of order must be sorted and duplicates resolved as the document does (the last one
// wins), and a float's shortest form is the library's own printing.
class CanonicalWriter : public nlohmann::json_sax<json> {
  public:
    explicit CanonicalWriter(std::size_t size_hint) { out_.reserve(size_hint); }

    bool null() override { return scalar("null"); }
    bool boolean(bool value) override { return scalar(value ? "true" : "false"); }
    bool number_integer(number_integer_t value) override { return scalar(std::to_string(value)); }
    bool number_unsigned(number_unsigned_t value) override { return scalar(std::to_string(value)); }
    bool number_float(number_float_t, const string_t&) override { return stop(); }
    bool string(string_t& value) override {
        before_value();
        append_json_string(out_, value);
        return true;
    }
    bool binary(binary_t&) override { return stop(); }
    bool start_object(std::size_t) override {
        before_value();
        out_.push_back('{');
        frames_.push_back({true, true, {}});
        return true;
    }
    bool key(string_t& value) override {
        Frame& frame = frames_.back();
        if (!frame.first && value <= frame.last_key) return stop();
        if (!frame.first) out_.push_back(',');
        frame.first = false;
        append_json_string(out_, value);
        out_.push_back(':');
        frame.last_key.swap(value);
        return true;
    }
    bool end_object() override {
        frames_.pop_back();
        out_.push_back('}');
        return true;
    }
    bool start_array(std::size_t) override {
        before_value();
        out_.push_back('[');
        frames_.push_back({false, true, {}});
        return true;
    }
    bool end_array() override {
        frames_.pop_back();
        out_.push_back(']');
        return true;
    }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& error) override {
        error_ = error.what();
        return false;
    }

    bool needs_document() const { return needs_document_; }
    const std::string& error() const { return error_; }
    std::string& text() { return out_; }

  private:
    struct Frame {
        bool object;
        bool first;
        std::string last_key;
    };
    // An array's elements are separated here; an object's value follows its key's colon.
    void before_value() {
        if (frames_.empty() || frames_.back().object) return;
        if (!frames_.back().first) out_.push_back(',');
        frames_.back().first = false;
    }
    bool scalar(std::string_view text) {
        before_value();
        out_ += text;
        return true;
    }
    bool stop() {
        needs_document_ = true;
        return false;
    }
    std::string out_;
    std::vector<Frame> frames_;
    bool needs_document_ = false;
    std::string error_;
};

}  // namespace

Result<std::string> canonicalize_json_through_document(std::string_view json_text) {
    try {
        return json::parse(json_text).dump(-1, ' ', false, json::error_handler_t::strict);
    } catch (const json::exception& error) {
        return not_json(error.what());
    }
}

Result<std::string> canonicalize_json(std::string_view json_text) {
    CanonicalWriter writer(json_text.size());
    if (json::sax_parse(json_text, &writer)) return std::move(writer.text());
    if (writer.needs_document()) return canonicalize_json_through_document(json_text);
    return not_json(writer.error());
}

}  // namespace kakitome
