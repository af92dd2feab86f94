#include "engine/retention/retention_sweep.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/intake_events.h"
#include "engine/domain/streams.h"
#include "engine/incident/incident_commands.h"
#include "engine/retention/incident_holds.h"
#include "engine/retention/refused_mail.h"
#include "engine/workflow/application_erasure.h"
#include "events/base/timestamp.h"

namespace kakitome::retention {

using nlohmann::json;

namespace {

constexpr const char* kActor = "retention";

std::vector<std::string> holds_of(const workflow::ApplicationRecord& record,
                                  const IncidentHolds& incidents) {
    std::vector<std::string> holds;
    if (record.legal_hold) holds.push_back("legal_hold: " + record.legal_hold_reason);
    for (auto& incident : incidents.holding(record)) holds.push_back(std::move(incident));
    return holds;
}

// Due, then held, then waiting for a mail in flight, then erase: the same for applications and
// for mails.
RetentionAction action_for(const RetentionDue& due, std::int64_t now_ms,
                           const std::vector<std::string>& holds,
                           const std::vector<std::string>& mails_in_flight) {
    if (now_ms < due.due_at_ms) return RetentionAction::not_due;
    if (!holds.empty()) return RetentionAction::held;
    if (!mails_in_flight.empty()) return RetentionAction::waiting;
    return RetentionAction::erase;
}

RetentionVerdict judge(const workflow::ApplicationRecord& record, const IncidentHolds& incidents,
                       const workflow::RetentionPolicy& policy,
                       const workflow::WorkflowConfig& config, std::int64_t now_ms) {
    RetentionVerdict verdict{record.application,       record.state,
                             record.version,           retention_due(record, policy, config),
                             RetentionAction::not_due, {}};
    verdict.holds = holds_of(record, incidents);
    verdict.action = action_for(verdict.due, now_ms, verdict.holds, record.mails_in_flight);
    return verdict;
}

MailVerdict judge_mail(const RefusedMail& mail, const IncidentHolds& incidents,
                       const workflow::RetentionPolicy& policy,
                       const workflow::WorkflowConfig& config, std::int64_t now_ms) {
    MailVerdict verdict{mail.stream,
                        mail.kind,
                        mail.version,
                        mail_retention_due(mail.received_at_ms, policy, config),
                        RetentionAction::not_due,
                        incidents.holding_mail(mail.received_at_ms)};
    verdict.action = action_for(verdict.due, now_ms, verdict.holds, mail.mails_in_flight);
    return verdict;
}

template <typename Verdict>
void order_by_action_then_due(std::vector<Verdict>& verdicts) {
    std::stable_sort(verdicts.begin(), verdicts.end(), [](const Verdict& a, const Verdict& b) {
        if (a.action != b.action) return a.action < b.action;
        return a.due.due_at_ms < b.due.due_at_ms;
    });
}

template <typename Verdict>
std::size_t count_action(const std::vector<Verdict>& verdicts, RetentionAction action) {
    return static_cast<std::size_t>(
        std::count_if(verdicts.begin(), verdicts.end(),
                      [&](const Verdict& verdict) { return verdict.action == action; }));
}

json time_or_null(std::int64_t ms) {
    return ms == 0 ? json(nullptr) : json(format_rfc3339_ms(ms));
}

}  // namespace

std::string_view action_name(RetentionAction action) {
    switch (action) {
        case RetentionAction::erase:
            return "erase";
        case RetentionAction::held:
            return "held";
        case RetentionAction::waiting:
            return "waiting";
        case RetentionAction::not_due:
            break;
    }
    return "not_due";
}

std::size_t RetentionReview::count_mails(RetentionAction action) const {
    return count_action(mails, action);
}

std::size_t RetentionReview::count(RetentionAction action) const {
    return count_action(applications, action);
}

std::string RetentionReview::to_json() const {
    json rows = json::array();
    for (const auto& verdict : applications) {
        rows.push_back({{"application", verdict.application},
                        {"state", verdict.state},
                        {"action", action_name(verdict.action)},
                        {"rule", rule_name(verdict.due.rule)},
                        {"due_at", format_rfc3339_ms(verdict.due.due_at_ms)},
                        {"closed_at", time_or_null(verdict.due.closed_at_ms)},
                        {"holds", verdict.holds}});
    }
    json mail_rows = json::array();
    for (const auto& verdict : mails) {
        mail_rows.push_back({{"mail", verdict.stream},
                             {"kind", verdict.kind},
                             {"action", action_name(verdict.action)},
                             {"rule", rule_name(verdict.due.rule)},
                             {"due_at", format_rfc3339_ms(verdict.due.due_at_ms)},
                             {"received_at", time_or_null(verdict.due.closed_at_ms)},
                             {"holds", verdict.holds}});
    }
    return json{{"policy", policy},
                {"as_of", format_rfc3339_ms(as_of_ms)},
                {"would_erase", count(RetentionAction::erase)},
                {"held", count(RetentionAction::held)},
                {"waiting", count(RetentionAction::waiting)},
                {"not_due", count(RetentionAction::not_due)},
                {"already_erased", erased.size()},
                {"mails_would_erase", count_mails(RetentionAction::erase)},
                {"mails_held", count_mails(RetentionAction::held)},
                {"applications", rows},
                {"mails", mail_rows}}
        .dump();
}

std::string RetentionPass::to_json() const {
    return json{{"retention_erased", erased.size()},
                {"applications", erased},
                {"mails_erased", erased_mails.size()},
                {"mails", erased_mails},
                {"held", held},
                {"conflicts", conflicts},
                {"finished", finished},
                {"bytes_reclaimed", bytes_reclaimed}}
        .dump();
}

Status require_policy(const workflow::RetentionPolicy& policy) {
    if (policy.enabled) return Status::ok();
    return Status::failed_precondition(
               "no retention policy is configured (\"retention\" in the configuration file)")
        .with_reason("retention_not_configured");
}

Result<RetentionReview> review_retention(const EventStore& store,
                                         const workflow::RetentionPolicy& policy,
                                         const workflow::WorkflowConfig& config,
                                         std::int64_t now_ms) {
    KAKITOME_RETURN_IF_ERROR(require_policy(policy));
    auto incidents = IncidentHolds::read(store);
    if (!incidents.is_ok()) return incidents.status();
    auto streams = store.stream_names(domain::kApplicationStreamPrefix);
    if (!streams.is_ok()) return streams.status();
    RetentionReview review{policy.name(), now_ms, {}, {}, {}, {}};
    for (const auto& stream : streams.value()) {
        const auto application = domain::application_of(stream);
        if (!application) continue;
        auto record = workflow::load_application(store, *application);
        if (!record.is_ok()) return record.status();
        if (record->erased) {
            review.erased.push_back(*application);
            continue;
        }
        review.applications.push_back(judge(*record, *incidents, policy, config, now_ms));
    }
    auto message_streams = store.stream_names(domain::kMessageStreamPrefix);
    if (!message_streams.is_ok()) return message_streams.status();
    for (const auto& stream : message_streams.value()) {
        auto mail = load_refused_mail(store, stream);
        if (!mail.is_ok()) return mail.status();
        if (!mail.value()) continue;
        if (mail.value()->erased) {
            review.erased_mails.push_back(std::move(*mail.value()));
            continue;
        }
        review.mails.push_back(judge_mail(*mail.value(), *incidents, policy, config, now_ms));
    }
    order_by_action_then_due(review.applications);
    order_by_action_then_due(review.mails);
    return review;
}

RetentionSweep::RetentionSweep(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                               const workflow::WorkflowConfig& config,
                               workflow::RetentionPolicy policy,
                               std::function<std::int64_t()> clock_ms)
    : store_(store),
      blobs_(blobs),
      vault_(vault),
      config_(config),
      policy_(std::move(policy)),
      clock_ms_(std::move(clock_ms)) {}

Result<RetentionReview> RetentionSweep::review() const {
    return review_retention(store_, policy_, config_, clock_ms_());
}

bool RetentionSweep::due(std::int64_t now_ms) const {
    const std::int64_t last = last_run_ms_.load();
    return policy_.enabled && (last == 0 || now_ms - last >= policy_.check_every_minutes * 60000);
}

RetentionSweep::Totals RetentionSweep::totals() const {
    return {erased_.load(), mails_erased_.load(), bytes_reclaimed_.load(),
            held_.load(),   failures_.load(),     last_run_ms_.load()};
}

Result<RetentionPass> RetentionSweep::run() {
    std::lock_guard lock(running_);
    const std::int64_t now = clock_ms_();
    last_run_ms_ = now;
    auto pass = sweep(now);
    // A missing policy is a question asked of a server without one, not a failed sweep.
    if (!pass.is_ok() && pass.status().reason() != "retention_not_configured") ++failures_;
    if (!pass.is_ok()) return pass;
    erased_ += pass->erased.size();
    mails_erased_ += pass->erased_mails.size();
    bytes_reclaimed_ += pass->bytes_reclaimed;
    held_ = pass->held;
    return pass;
}

Result<RetentionPass> RetentionSweep::sweep(std::int64_t now) {
    KAKITOME_RETURN_IF_ERROR(blobs_.finish_interrupted_erasure());
    auto review = review_retention(store_, policy_, config_, now);
    if (!review.is_ok()) return review.status();
    RetentionPass pass;
    pass.held = review->count(RetentionAction::held) + review->count_mails(RetentionAction::held);
    // Erasures a crash interrupted: the event is there, the key is not gone yet.
    std::vector<std::string> to_destroy;
    for (const auto& application : review->erased) {
        auto live = vault_.is_live(application);
        if (!live.is_ok()) return live.status();
        if (live.value()) to_destroy.push_back(application);
    }
    pass.finished = to_destroy.size();
    const std::string correlation = "retention-" + format_rfc3339_ms(now);
    for (const auto& verdict : review->applications) {
        if (verdict.action != RetentionAction::erase) continue;
        // Judged again on the stream and the incidents as they are now, under the lock that
        // incident steps take: an incident reported or scoped since the review holds too.
        std::shared_lock holds(incident::holds_lock());
        auto incidents = IncidentHolds::read(store_);
        if (!incidents.is_ok()) return incidents.status();
        auto record = workflow::load_application(store_, verdict.application);
        if (!record.is_ok()) return record.status();
        const RetentionVerdict now_judged = judge(*record, *incidents, policy_, config_, now);
        if (now_judged.action != RetentionAction::erase) {
            if (now_judged.action == RetentionAction::held) ++pass.held;
            continue;
        }
        const domain::EventContext context{.actor = kActor, .correlation = correlation};
        std::vector<NewEvent> events;
        if (const workflow::IssuedUrl* live = record->live_url())
            events.push_back(
                domain::new_event(domain::UrlRevoked{live->token_sha256, "retention"}, context));
        events.push_back(domain::new_event(
            domain::RetentionErased{policy_.name(), std::string(rule_name(now_judged.due.rule)),
                                    format_rfc3339_ms(now_judged.due.due_at_ms)},
            context));
        // At the version judged: a legal hold placed since makes this conflict.
        auto appended = store_.append_with_expected_version(
            domain::application_stream(verdict.application), record->version, std::move(events));
        if (!appended.is_ok()) {
            if (appended.status().code() != StatusCode::conflict) return appended.status();
            ++pass.conflicts;
            continue;
        }
        pass.erased.push_back(verdict.application);
        to_destroy.push_back(verdict.application);
    }
    // The same for a mail: its raw mail or its answer's key is still stored.
    std::vector<std::string> mails_to_destroy;
    for (const auto& mail : review->erased_mails) {
        bool stored = false;
        for (const auto& blob : mail.raw_blobs) {
            auto there = blobs_.contains(blob);
            if (!there.is_ok()) return there.status();
            stored |= there.value();
        }
        auto live = vault_.is_live(domain::data_key_of(mail.stream));
        if (!live.is_ok()) return live.status();
        if (stored || live.value()) mails_to_destroy.push_back(mail.stream);
    }
    pass.finished += mails_to_destroy.size();
    for (const auto& verdict : review->mails) {
        if (verdict.action != RetentionAction::erase) continue;
        std::shared_lock holds(incident::holds_lock());
        auto incidents = IncidentHolds::read(store_);
        if (!incidents.is_ok()) return incidents.status();
        auto mail = load_refused_mail(store_, verdict.stream);
        if (!mail.is_ok()) return mail.status();
        if (!mail.value() || mail.value()->erased) continue;
        const MailVerdict now_judged = judge_mail(*mail.value(), *incidents, policy_, config_, now);
        if (now_judged.action != RetentionAction::erase) {
            if (now_judged.action == RetentionAction::held) ++pass.held;
            continue;
        }
        auto appended = store_.append_with_expected_version(
            verdict.stream, mail.value()->version,
            {domain::new_event(
                domain::MessageRetentionErased{policy_.name(),
                                               std::string(rule_name(now_judged.due.rule)),
                                               format_rfc3339_ms(now_judged.due.due_at_ms)},
                {.actor = kActor, .correlation = correlation})});
        if (!appended.is_ok()) {
            if (appended.status().code() != StatusCode::conflict) return appended.status();
            ++pass.conflicts;
            continue;
        }
        pass.erased_mails.push_back(verdict.stream);
        mails_to_destroy.push_back(verdict.stream);
    }
    // The events are durable; now the blobs and keys go (a crash here is finished next time).
    auto destroyed = workflow::destroy_application_data(store_, blobs_, vault_, to_destroy);
    if (!destroyed.is_ok()) return destroyed.status();
    auto mails_destroyed = workflow::destroy_mail_data(store_, blobs_, vault_, mails_to_destroy);
    if (!mails_destroyed.is_ok()) return mails_destroyed.status();
    pass.bytes_reclaimed = destroyed->bytes_reclaimed + mails_destroyed->bytes_reclaimed;
    return pass;
}

}  // namespace kakitome::retention
