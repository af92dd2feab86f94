#include "engine/workflow/workflow_commands.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/mail/mail_templates.h"
#include "engine/workflow/applicant_mail.h"
#include "engine/workflow/application_erasure.h"
#include "events/base/aead.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"

namespace kakitome::workflow {

using domain::ApplicationState;
using nlohmann::json;

namespace {

template <domain::EventPayload Payload>
NewEvent make_event(const Payload& payload, const CommandRequest& request) {
    return domain::new_event(payload, {.actor = request.actor, .correlation = request.correlation});
}

Status illegal(const std::string& command, const ApplicationRecord& record) {
    return Status::failed_precondition("cannot " + command + ": application " + record.application +
                                       " is " + std::string(domain::state_name(record.state)))
        .with_reason("illegal_transition");
}

std::vector<std::string> string_list(const json& arguments, const char* key) {
    std::vector<std::string> out;
    if (!arguments.contains(key)) return out;
    for (const auto& item : arguments[key]) {
        if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
}

}  // namespace

const std::vector<std::string>& command_names() {
    static const std::vector<std::string> names = {
        "assign",     "approve", "reject", "request_correction", "withdraw", "reissue_url",
        "revoke_url", "erase",   "hold",   "release_hold"};
    return names;
}

Result<IssuedLink> issue_link(const ApplicationRecord& record, DataKeyVault& vault,
                              const WorkflowConfig& config, std::int64_t now_ms,
                              const std::string& actor, const std::string& correlation) {
    const std::string token = random_base64url(32);  // 256 bits
    const std::string token_sha256 = to_hex(sha256(token));
    const CivilDate last_day = jst_date_of(now_ms).plus_days(config.url_valid_days);
    const std::int64_t expires_at = jst_midnight_ms(last_day.plus_days(1));
    IssuedLink link;
    if (const IssuedUrl* live = record.live_url()) {
        link.application_events.push_back(domain::new_event(
            domain::UrlRevoked{live->token_sha256, "reissued"}, {actor, correlation}));
    }
    link.application_events.push_back(
        domain::new_event(domain::UrlIssued{token_sha256, format_rfc3339_ms(now_ms),
                                            format_rfc3339_ms(expires_at), record.urls.size() + 1},
                          {actor, correlation}));
    mail::TemplateFields fields;
    fields.url = config.public_base_url + "/d/" + token;
    fields.url_expires = mail::japanese_date(last_day.to_string());
    auto mail = queue_applicant_mail(record, vault, config, mail::MailTemplate::url_notice, fields,
                                     now_ms, actor, correlation);
    if (!mail.is_ok()) return mail.status();
    link.application_events.push_back(std::move(mail).value());
    link.token_stream = StreamAppend{
        domain::token_stream(token_sha256),
        ExpectedVersion::no_stream(),
        {domain::new_event(domain::DownloadTokenIssued{record.application}, {actor, correlation})}};
    return link;
}

std::optional<Result<CommandOutcome>> WorkflowCommands::recorded_outcome(
    const CommandRequest& request) const {
    if (request.idempotency_stream.empty()) return std::nullopt;
    auto recorded = domain::read_current_stream(store_, request.idempotency_stream);
    if (!recorded.is_ok()) return Result<CommandOutcome>(recorded.status());
    if (recorded->empty()) return std::nullopt;
    auto accepted = domain::decode<domain::CommandAccepted>(recorded->front());
    if (!accepted.is_ok()) return Result<CommandOutcome>(accepted.status());
    if (accepted->application != request.application || accepted->command != request.command ||
        // Outcomes recorded before fingerprints existed match any request of that command.
        (accepted->request && *accepted->request != request.request_fingerprint)) {
        return Result<CommandOutcome>(
            Status::invalid_argument("this Idempotency-Key was used for another request")
                .with_reason("idempotency_key_reused"));
    }
    return Result<CommandOutcome>(CommandOutcome{accepted->application, accepted->state,
                                                 StreamVersion{accepted->version}, accepted->events,
                                                 true});
}

std::optional<std::string> supervisor_needed(const std::string& command,
                                             const ApplicationRecord* record,
                                             const WorkflowConfig& config, std::int64_t now_ms) {
    // Commands only a supervisor may run, whatever the application's state.
    static const std::set<std::string, std::less<>> kSupervisorOnly = {"revoke_url", "erase",
                                                                       "hold", "release_hold"};
    if (kSupervisorOnly.count(command)) return "only a supervisor may " + command;
    if (command != "approve") return std::nullopt;
    if (usage_period_ended(config, now_ms))
        return std::string(
            "the usage period has ended: only a supervisor may approve now, with a justification");
    if (record && record->state == ApplicationState::rejected)
        return std::string("overriding a rejection needs a supervisor");
    return std::nullopt;
}

bool usage_period_ended(const WorkflowConfig& config, std::int64_t now_ms) {
    return jst_date_of(now_ms).to_string() > config.usage_period.last;
}

WorkflowCommands::WorkflowCommands(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                                   StaffDirectory& staff, const WorkflowConfig& config,
                                   std::function<std::int64_t()> clock_ms)
    : store_(store),
      blobs_(blobs),
      vault_(vault),
      staff_(staff),
      config_(config),
      clock_ms_(std::move(clock_ms)) {}

std::string WorkflowCommands::CommandInput::text(const char* key) const {
    return arguments.contains(key) && arguments[key].is_string() ? arguments[key].get<std::string>()
                                                                 : std::string();
}

Status WorkflowCommands::CommandInput::require(const char* key) const {
    if (!text(key).empty()) return Status::ok();
    return Status::invalid_argument(request.command + " needs a non-empty \"" + key + "\"")
        .with_reason("missing_argument");
}

// assign: an active operator or supervisor takes the application.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_assign(const CommandInput& input) {
    const CommandRequest& request = input.request;
    Plan plan;
    auto& events = plan.events;
    KAKITOME_RETURN_IF_ERROR(input.require("assignee"));
    auto active = staff_.is_active_staff(input.text("assignee"));
    if (!active.is_ok()) {
        return Status::unavailable("the staff directory could not be read: " +
                                   active.status().message())
            .with_reason("staff_directory_unreadable");
    }
    if (!*active) {
        return Status::invalid_argument(
                   "the assignee must be an active operator or "
                   "supervisor principal")
            .with_reason("unknown_assignee");
    }
    events.push_back(make_event(domain::ApplicationAssigned{input.text("assignee")}, request));
    return plan;
}

// approve and reissue_url: a new link (the live one revoked) and its notice mail.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_link(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    const std::string& command = request.command;
    const std::int64_t now = input.now;
    Plan plan;
    auto& events = plan.events;
    auto& extra_streams = plan.extra_streams;
    const bool approving = command == "approve";
    if (approving) {
        if (record.state == ApplicationState::rejected) {
            KAKITOME_RETURN_IF_ERROR(input.require("justification"));
        } else if (record.live_url()) {
            return illegal(command, record);
        }
        events.push_back(make_event(
            domain::ApplicationApproved{record.state == ApplicationState::rejected,
                                        record.rejection_codes, usage_period_ended(config_, now),
                                        input.text("justification")},
            request));
    } else if (!record.approved) {
        return illegal(command, record);
    }
    auto link = issue_link(record, vault_, config_, now, request.actor, request.correlation);
    if (!link.is_ok()) return link.status();
    for (auto& event : link->application_events) events.push_back(std::move(event));
    extra_streams.push_back(std::move(link->token_stream));
    return plan;
}

// reject and request_correction: known reason codes only, mailed to the applicant.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_rejection(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    const std::string& command = request.command;
    const std::int64_t now = input.now;
    const json& arguments = input.arguments;
    Plan plan;
    auto& events = plan.events;
    const bool rejecting = command == "reject";
    const auto codes = string_list(arguments, "codes");
    for (const auto& code : codes) {
        if (!mail::is_known_reason(code))
            return Status::invalid_argument("unknown reason code '" + code +
                                            "' (docs/forms.md lists the codes)")
                .with_reason("unknown_reason_code");
    }
    if (codes.empty() && (rejecting || input.text("message").empty())) {
        return Status::invalid_argument(command + " needs reason \"codes\"" +
                                        (rejecting ? "" : " or a \"message\""))
            .with_reason("missing_argument");
    }
    mail::TemplateFields fields;
    fields.codes = codes;
    fields.message = input.text("message");
    events.push_back(
        rejecting
            ? make_event(
                  domain::ApplicationRejected{
                      .codes = codes, .message = fields.message, .by = "staff", .notify = true},
                  request)
            : make_event(domain::CorrectionRequested{codes, fields.message}, request));
    auto mail = queue_applicant_mail(
        record, vault_, config_,
        rejecting ? mail::MailTemplate::rejection : mail::MailTemplate::correction_request, fields,
        now, request.actor, request.correlation);
    if (!mail.is_ok()) return mail.status();
    events.push_back(std::move(mail).value());
    return plan;
}

// withdraw: the live link goes with the application.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_withdraw(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    Plan plan;
    auto& events = plan.events;
    KAKITOME_RETURN_IF_ERROR(input.require("reason"));
    if (const IssuedUrl* live = record.live_url())
        events.push_back(make_event(domain::UrlRevoked{live->token_sha256, "withdrawn"}, request));
    events.push_back(make_event(domain::ApplicationWithdrawn{input.text("reason")}, request));
    return plan;
}

// revoke_url: only a live link can be revoked.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_revoke(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    const std::string& command = request.command;
    Plan plan;
    auto& events = plan.events;
    KAKITOME_RETURN_IF_ERROR(input.require("reason"));
    const IssuedUrl* live = record.live_url();
    if (!live) return illegal(command, record);
    events.push_back(
        make_event(domain::UrlRevoked{live->token_sha256, input.text("reason")}, request));
    return plan;
}

// erase: the link goes; the key and the blobs go after the append (execute).
Result<WorkflowCommands::Plan> WorkflowCommands::plan_erase(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    Plan plan;
    auto& events = plan.events;
    KAKITOME_RETURN_IF_ERROR(input.require("reason"));
    if (record.legal_hold) {
        return Status::failed_precondition("application " + record.application +
                                           " is on legal hold (" + record.legal_hold_reason +
                                           "): release the hold first")
            .with_reason("legal_hold");
    }
    if (!record.erased) {
        if (const IssuedUrl* live = record.live_url())
            events.push_back(make_event(domain::UrlRevoked{live->token_sha256, "erased"}, request));
        events.push_back(
            make_event(domain::ApplicationErased{input.text("reason"), true}, request));
    }
    return plan;
}

// A hold is placed or released with a reason; placing one twice or releasing none is refused
// rather than recorded, so the stream says exactly when the application was held.
Result<WorkflowCommands::Plan> WorkflowCommands::plan_legal_hold(const CommandInput& input) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    KAKITOME_RETURN_IF_ERROR(input.require("reason"));
    const bool placing = request.command == "hold";
    if (placing == record.legal_hold) {
        return Status::failed_precondition(
                   "application " + record.application +
                   (placing ? " is already on legal hold" : " is not on legal hold"))
            .with_reason(placing ? "already_on_hold" : "not_on_hold");
    }
    Plan plan;
    if (placing)
        plan.events.push_back(make_event(domain::LegalHoldPlaced{input.text("reason")}, request));
    else
        plan.events.push_back(make_event(domain::LegalHoldReleased{input.text("reason")}, request));
    return plan;
}

// Checks that hold for every command, then the command's own plan, then one append.
Result<CommandOutcome> WorkflowCommands::execute(const CommandRequest& request) {
    const auto& names = command_names();
    if (std::find(names.begin(), names.end(), request.command) == names.end()) {
        return Status::invalid_argument("unknown command '" + request.command + "'")
            .with_reason("unknown_command");
    }
    const json arguments =
        json::parse(request.arguments_json.empty() ? "{}" : request.arguments_json, nullptr, false);
    if (!arguments.is_object()) {
        return Status::invalid_argument("command arguments must be a JSON object")
            .with_reason("invalid_arguments");
    }
    // A report (a mail sent, a timer) appended between this command's read and its append moves
    // the stream but not the decision the If-Match names: the command is decided again on the
    // new stream, and fails only when a decision came in between.
    constexpr int kTries = 3;
    for (int attempt = 1;; ++attempt) {
        auto outcome = decide(request, arguments);
        const bool raced = !outcome.is_ok() && outcome.status().code() == StatusCode::conflict &&
                           outcome.status().reason() != "version_mismatch";
        if (!raced || attempt == kTries) return outcome;
    }
}

Result<CommandOutcome> WorkflowCommands::decide(const CommandRequest& request,
                                                const json& arguments) {
    if (auto recorded = recorded_outcome(request)) return std::move(*recorded);
    auto loaded = load_application(store_, request.application);
    if (!loaded.is_ok()) return loaded.status();
    const ApplicationRecord& record = loaded.value();
    // If-Match is checked against the decision version: the worker's reports (a mail sent, a
    // timer) do not make it stale; another person's decision does.
    if (request.expected_version &&
        request.expected_version->value != record.decision_version.value) {
        return Status::conflict("application " + request.application + " is at version " +
                                std::to_string(record.decision_version.value) + ", not " +
                                std::to_string(request.expected_version->value))
            .with_reason("version_mismatch");
    }
    const std::string& command = request.command;
    const CommandInput input{request, record, arguments, clock_ms_()};
    if (record.erased && command != "erase") {
        return Status::failed_precondition("application " + record.application + " has been erased")
            .with_reason("erased");
    }
    // The state table first (engine/domain/application_state.h), then each command's own rule.
    if (!domain::command_allowed_in(command, record.state)) return illegal(command, record);
    if (command == "approve" && usage_period_ended(config_, input.now) &&
        input.text("justification").empty()) {
        return Status::failed_precondition("the usage period ended on " +
                                           config_.usage_period.last +
                                           "; approving now needs a supervisor's justification")
            .with_reason("usage_period_ended");
    }
    using Planner = Result<Plan> (WorkflowCommands::*)(const CommandInput&);
    static const std::map<std::string, Planner, std::less<>> planners = {
        {"assign", &WorkflowCommands::plan_assign},
        {"approve", &WorkflowCommands::plan_link},
        {"reissue_url", &WorkflowCommands::plan_link},
        {"reject", &WorkflowCommands::plan_rejection},
        {"request_correction", &WorkflowCommands::plan_rejection},
        {"withdraw", &WorkflowCommands::plan_withdraw},
        {"revoke_url", &WorkflowCommands::plan_revoke},
        {"erase", &WorkflowCommands::plan_erase},
        {"hold", &WorkflowCommands::plan_legal_hold},
        {"release_hold", &WorkflowCommands::plan_legal_hold}};
    auto plan = (this->*planners.at(command))(input);
    if (!plan.is_ok()) return plan.status();
    auto outcome = commit(input, std::move(plan).value());
    if (!outcome.is_ok() || outcome->repeated) return outcome;
    // The event that records the erasure is durable before the key goes; a retried erase destroys
    // the key again if a crash came in between.
    if (command == "erase") {
        auto destroyed = destroy_application_data(store_, blobs_, vault_, {record.application});
        if (!destroyed.is_ok()) return destroyed.status();
    }
    return outcome;
}

// The plan's events folded ahead to answer without a reload, the idempotency record, and one
// transaction; a concurrent repeat of the same Idempotency-Key that won is answered with its
// outcome.
Result<CommandOutcome> WorkflowCommands::commit(const CommandInput& input, Plan plan) {
    const CommandRequest& request = input.request;
    const ApplicationRecord& record = input.record;
    const std::string& command = request.command;
    const std::int64_t now = input.now;
    auto& events = plan.events;
    auto& extra_streams = plan.extra_streams;
    CommandOutcome outcome{
        record.application, std::string(domain::state_name(record.state)), record.version, {}};
    ApplicationRecord after =
        record;  // the state the append will leave, to answer without a reload
    for (const auto& event : events) {
        outcome.events.push_back(event.type);
        KAKITOME_RETURN_IF_ERROR(after.apply_pending(event, now));
    }
    outcome.state = std::string(domain::state_name(after.state));
    // Every event a command appends is part of its decision.
    outcome.version = events.empty() ? record.decision_version
                                     : StreamVersion{record.version.value + events.size()};
    if (!request.idempotency_stream.empty()) {
        extra_streams.push_back(
            {request.idempotency_stream,
             ExpectedVersion::no_stream(),
             {make_event(
                 domain::CommandAccepted{outcome.application, command, request.request_fingerprint,
                                         outcome.state, outcome.version.value, outcome.events},
                 request)}});
    }
    if (!events.empty() || !request.idempotency_stream.empty()) {
        std::vector<StreamAppend> parts;
        if (!events.empty()) {
            parts.push_back({domain::application_stream(record.application),
                             ExpectedVersion::exact(record.version), std::move(events)});
        }
        for (auto& part : extra_streams) parts.push_back(std::move(part));
        auto appended = store_.append_transaction(std::move(parts));
        if (!appended.is_ok()) {
            // A concurrent repeat of the same Idempotency-Key won: answer with its outcome.
            if (appended.status().code() == StatusCode::conflict) {
                if (auto recorded = recorded_outcome(request)) return std::move(*recorded);
            }
            return appended.status();
        }
    }
    return outcome;
}

}  // namespace kakitome::workflow
