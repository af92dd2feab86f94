#include "engine/domain/usage_channel.h"

namespace kakitome::domain {

std::optional<std::string_view> usage_channel_code(std::string_view label) {
    for (const auto& channel : kUsageChannels)
        if (channel.label == label) return channel.code;
    return std::nullopt;
}

std::optional<std::string_view> usage_channel_label(std::string_view code) {
    for (const auto& channel : kUsageChannels)
        if (channel.code == code) return channel.label;
    return std::nullopt;
}

}  // namespace kakitome::domain
