#include "engine/domain/application_state.h"

#include <initializer_list>

namespace kakitome::domain {

std::string_view state_name(ApplicationState state) {
    for (const auto& [value, name] : kStateNames)
        if (value == state) return name;
    return "none";
}

std::optional<ApplicationState> state_named(std::string_view name) {
    for (const auto& [value, text] : kStateNames)
        if (text == name) return value;
    return std::nullopt;
}

void to_json(nlohmann::json& out, ApplicationState state) {
    out = std::string(state_name(state));
}

void from_json(const nlohmann::json& in, ApplicationState& state) {
    const auto named = in.is_string() ? state_named(in.get<std::string>()) : std::nullopt;
    if (!named) throw nlohmann::json::type_error::create(302, "not an application state", &in);
    state = *named;
}

bool moves_decision_version(std::string_view event_type) {
    for (const auto report : kReportEvents)
        if (report == event_type) return false;
    return true;
}

bool erases_personal_data(std::string_view event_type) {
    return event_type == ApplicationErased::kType || event_type == RetentionErased::kType;
}

ApplicationState state_after(ApplicationState from, std::string_view event_type,
                             bool live_link_left) {
    for (const StateChange& change : kStateChanges) {
        if (change.event_type != event_type) continue;
        const bool from_any = change.only_from[0] == S::none && change.only_from[1] == S::none;
        const bool from_listed = from_any || change.only_from[0] == from ||
                                 (change.only_from[1] != S::none && change.only_from[1] == from);
        if (!from_listed) return from;
        if (change.condition == LinkCondition::no_live_link_left && live_link_left) return from;
        return change.to;
    }
    return from;
}

namespace {

constexpr std::array<bool, kStateNames.size()> only(
    std::initializer_list<ApplicationState> states) {
    std::array<bool, kStateNames.size()> allowed{};
    for (ApplicationState state : states) allowed[static_cast<std::size_t>(state)] = true;
    return allowed;
}

constexpr std::array<bool, kStateNames.size()> all_but(
    std::initializer_list<ApplicationState> states) {
    std::array<bool, kStateNames.size()> allowed{};
    allowed.fill(true);
    for (ApplicationState state : states) allowed[static_cast<std::size_t>(state)] = false;
    return allowed;
}

}  // namespace

// The command table of docs/workflow.md.
const std::array<CommandRule, 10>& command_rules() {
    static const std::array<CommandRule, 10> rules = {{
        {"assign", all_but({})},
        {"approve", only({S::validated, S::rejected})},
        {"reject", only({S::awaiting_password, S::password_mismatch, S::password_received,
                         S::decrypted, S::validated, S::rejected})},
        {"request_correction", only({S::rejected, S::validated, S::password_mismatch})},
        {"withdraw", all_but({S::withdrawn, S::expired})},
        {"reissue_url", all_but({S::withdrawn})},
        {"revoke_url", all_but({})},
        {"erase", all_but({})},
        {"hold", all_but({})},
        {"release_hold", all_but({})},
    }};
    return rules;
}

bool command_allowed_in(std::string_view command, ApplicationState state) {
    for (const CommandRule& rule : command_rules())
        if (rule.command == command) return rule.allowed_in[static_cast<std::size_t>(state)];
    return false;
}

}  // namespace kakitome::domain
