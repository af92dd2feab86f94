// The channels an applicant may use the video in (the form's 動画の使用・活用先): a stable code
// for events and the API, and the label the form offers, in the form's order.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace kakitome::domain {

struct UsageChannel {
    std::string_view code;
    std::string_view label;
};

inline constexpr std::array<UsageChannel, 5> kUsageChannels = {{
    {"official_website", "公式HP"},
    {"official_sns", "公式SNS"},
    {"facility_monitor", "施設内モニター"},
    {"intranet", "イントラネット"},
    {"other", "その他"},
}};

inline constexpr std::string_view kOtherUsageChannel = "other";

// The code of a label in its canonical spelling (form::canonical_usage); nullopt for others.
std::optional<std::string_view> usage_channel_code(std::string_view label);
std::optional<std::string_view> usage_channel_label(std::string_view code);

}  // namespace kakitome::domain
