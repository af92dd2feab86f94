#include "engine/domain/domain_event.h"

namespace kakitome::domain {

Result<nlohmann::json> parse_payload_json(std::string_view type, std::string_view text) {
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        return Status::invalid_argument(std::string(type) + " payload is not JSON")
            .with_reason("bad_payload");
    }
    return parsed;
}

const std::vector<JsonToken>* tokenize_payload(std::string_view text) {
    thread_local JsonTokens tokens;
    return tokens.parse(text) ? &tokens.tokens() : nullptr;
}

}  // namespace kakitome::domain
