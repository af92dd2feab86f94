// The states of an application and what moves it between them, as data (docs/workflow.md):
//
//   awaiting_password -> password_received -> decrypted -> validated | rejected
//   validated --approve--> url_issued --download--> downloaded
//   rejected --approve + justification--> url_issued          (supervisor override)
//   password_mismatch (a password arrived that opens no pending form)
//   withdrawn, expired (a link that expired before any download)
//
// kStateChanges says which event moves an application to which state; ApplicationRecord
// (engine/workflow/application_record.h) folds a stream through it. kCommandRules says in which
// states each staff command may run; the workflow commands check it before anything else.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"

namespace kakitome::domain {

enum class ApplicationState {
    none,  // no event yet
    awaiting_password,
    password_received,
    password_mismatch,
    decrypted,
    validated,
    rejected,
    url_issued,
    downloaded,
    withdrawn,
    expired,
};

inline constexpr std::array<std::pair<ApplicationState, std::string_view>, 11> kStateNames = {{
    {ApplicationState::none, "none"},
    {ApplicationState::awaiting_password, "awaiting_password"},
    {ApplicationState::password_received, "password_received"},
    {ApplicationState::password_mismatch, "password_mismatch"},
    {ApplicationState::decrypted, "decrypted"},
    {ApplicationState::validated, "validated"},
    {ApplicationState::rejected, "rejected"},
    {ApplicationState::url_issued, "url_issued"},
    {ApplicationState::downloaded, "downloaded"},
    {ApplicationState::withdrawn, "withdrawn"},
    {ApplicationState::expired, "expired"},
}};

std::string_view state_name(ApplicationState state);
std::optional<ApplicationState> state_named(std::string_view name);

// JSON (rows, the API) spells a state by its name, never by its number; found by ADL.
void to_json(nlohmann::json& out, ApplicationState state);
void from_json(const nlohmann::json& in, ApplicationState& state);

// A state change may depend on whether a download link is still live after the event.
enum class LinkCondition { any, no_live_link_left };

struct StateChange {
    std::string_view event_type;
    std::array<ApplicationState, 2> only_from;  // none, none = from any state
    LinkCondition condition;
    ApplicationState to;
};

using S = ApplicationState;
inline constexpr std::array<StateChange, 11> kStateChanges = {{
    {FormMailReceived::kType, {S::none, S::none}, LinkCondition::any, S::awaiting_password},
    {PasswordRejected::kType, {S::none, S::none}, LinkCondition::any, S::password_mismatch},
    {MailsPaired::kType, {S::none, S::none}, LinkCondition::any, S::password_received},
    {FormDecrypted::kType, {S::none, S::none}, LinkCondition::any, S::decrypted},
    {ApplicationValidated::kType, {S::none, S::none}, LinkCondition::any, S::validated},
    {ApplicationRejected::kType, {S::none, S::none}, LinkCondition::any, S::rejected},
    {UrlIssued::kType, {S::none, S::none}, LinkCondition::any, S::url_issued},
    {UrlDownloaded::kType, {S::none, S::none}, LinkCondition::any, S::downloaded},
    // Revoking the last live link returns the application to approved-without-link.
    {UrlRevoked::kType,
     {S::url_issued, S::downloaded},
     LinkCondition::no_live_link_left,
     S::validated},
    {UrlExpired::kType, {S::url_issued, S::none}, LinkCondition::no_live_link_left, S::expired},
    {ApplicationWithdrawn::kType, {S::none, S::none}, LinkCondition::any, S::withdrawn},
}};

// Events that report what happened around the staff's decisions without being one: mail
// delivery reports, timers, and the applicant's downloads. They move an application's stream
// version but not its decision version (the ETag staff send as If-Match), so the worker's
// "mail sent" never makes a colleague's ETag stale: a stale ETag means another person decided
// or the state changed (a report that changes the state, such as an expiry, does move it).
inline constexpr std::array<std::string_view, 8> kReportEvents = {
    MailSent::kType,   MailFailed::kType, PasswordReminderDue::kType, SlaDue::kType,
    SlaOverdue::kType, UrlExpired::kType, UrlDownloaded::kType,       UrlDownloadRefused::kType};
bool moves_decision_version(std::string_view event_type);

// ApplicationErased (a supervisor's command) or RetentionErased (the policy): after either, the
// application's personal data is unreadable and every read model forgets it.
bool erases_personal_data(std::string_view event_type);

// The state after `event_type` in `from`; `from` itself when the event changes no state.
ApplicationState state_after(ApplicationState from, std::string_view event_type,
                             bool live_link_left);

// Where a staff command may run. Some commands have a further condition the record checks:
// approve in `rejected` needs a justification, reissue_url an approval, revoke_url a live link,
// release_hold a hold, erase no hold.
struct CommandRule {
    std::string_view command;
    std::array<bool, kStateNames.size()> allowed_in;
};

const std::array<CommandRule, 10>& command_rules();
bool command_allowed_in(std::string_view command, ApplicationState state);

}  // namespace kakitome::domain
