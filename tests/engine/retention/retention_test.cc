// Retention with legal hold (engine/retention/): when an application is due, by which rule, and
// a sweep through real mails and a real store that erases what is due, keeps what a legal hold or
// an open incident holds, finishes an erasure a crash interrupted, and leaves the chain intact.
#include "engine/retention/retention_sweep.h"

#include "engine/domain/domain_event.h"
#include "engine/incident/incident_commands.h"
#include "engine/retention/incident_holds.h"
#include "engine/retention/refused_mail.h"
#include "engine/workflow/application_erasure.h"
#include "replay/store_verifier.h"
#include "workflow_fixture.h"

namespace kakitome::retention {
namespace {

using domain::ApplicationState;
using nlohmann::json;

std::int64_t at(const char* rfc3339) {
    return parse_rfc3339_ms(rfc3339).value();
}

workflow::ApplicationRecord closed_record(ApplicationState state, const char* since) {
    workflow::ApplicationRecord record;
    record.application = "a";
    record.state = state;
    record.decided_at_ms = at(since);
    return record;
}

workflow::RetentionPolicy policy(int after_close_business_days, int after_usage_period_days) {
    workflow::RetentionPolicy policy;
    policy.enabled = true;
    policy.after_close_business_days = after_close_business_days;
    policy.after_usage_period_days = after_usage_period_days;
    return policy;
}

workflow::WorkflowConfig campaign_until(const char* last_day) {
    workflow::WorkflowConfig config;
    config.usage_period.last = last_day;
    return config;
}

TEST(RetentionSchedule, BusinessDaysAfterClosingSkipGoldenWeek) {
    // Withdrawn on Tuesday 2026-04-28: 4/29 昭和の日, 5/2-5/6 weekend and holidays; the third
    // business day after is Thursday 5/7, so it is due at the end of that day (JST).
    const auto due =
        retention_due(closed_record(ApplicationState::withdrawn, "2026-04-28T10:00:00+09:00"),
                      policy(3, 365), campaign_until("2027-03-31"));
    EXPECT_EQ(due.rule, RetentionRule::after_close);
    EXPECT_EQ(format_rfc3339_ms(due.due_at_ms), "2026-05-07T15:00:00.000Z");
    EXPECT_EQ(due.closed_at_ms, at("2026-04-28T10:00:00+09:00"));
    // Zero business days: the end of the day it closed.
    EXPECT_EQ(format_rfc3339_ms(retention_due(closed_record(ApplicationState::downloaded,
                                                            "2026-04-28T10:00:00+09:00"),
                                              policy(0, 365), campaign_until("2027-03-31"))
                                    .due_at_ms),
              "2026-04-28T15:00:00.000Z");
}

TEST(RetentionSchedule, WhatIsOpenIsKeptUntilTheUsagePeriodLimit) {
    const auto config = campaign_until("2026-03-31");
    for (auto state : {ApplicationState::awaiting_password, ApplicationState::validated,
                       ApplicationState::url_issued, ApplicationState::password_mismatch}) {
        const auto due =
            retention_due(closed_record(state, "2026-01-05T10:00:00+09:00"), policy(5, 30), config);
        EXPECT_EQ(due.rule, RetentionRule::after_usage_period) << domain::state_name(state);
        EXPECT_EQ(due.closed_at_ms, 0);
        // The end of the 30th day after 2026-03-31: 2026-04-30 (JST).
        EXPECT_EQ(format_rfc3339_ms(due.due_at_ms), "2026-04-30T15:00:00.000Z");
    }
    // A rejection counts as closed only once the applicant was told.
    auto rejected = closed_record(ApplicationState::rejected, "2026-01-05T10:00:00+09:00");
    EXPECT_FALSE(closed_for_retention(rejected));
    rejected.rejection_notified = true;
    EXPECT_TRUE(closed_for_retention(rejected));
    EXPECT_EQ(retention_due(rejected, policy(5, 30), config).rule, RetentionRule::after_close);
    // Closed shortly before the limit: the limit comes first.
    const auto late =
        retention_due(closed_record(ApplicationState::expired, "2026-04-27T10:00:00+09:00"),
                      policy(20, 30), config);
    EXPECT_EQ(late.rule, RetentionRule::after_usage_period);
    EXPECT_EQ(format_rfc3339_ms(late.due_at_ms), "2026-04-30T15:00:00.000Z");
}

TEST(RetentionSchedule, ALiveLinkHoldsTheCloseLimitBackUntilItExpires) {
    auto downloaded = closed_record(ApplicationState::downloaded, "2026-06-01T10:00:00+09:00");
    downloaded.urls.push_back({"hash", at("2026-06-01T09:00:00+09:00"),
                               at("2026-06-16T00:00:00+09:00"), false, false, 1});
    const auto due = retention_due(downloaded, policy(1, 365), campaign_until("2027-03-31"));
    EXPECT_EQ(due.rule, RetentionRule::after_close);
    EXPECT_EQ(due.due_at_ms, at("2026-06-16T00:00:00+09:00"));
}

class Retention : public testing::WorkflowTest {
  protected:
    ServiceOptions service_options() override {
        auto options = WorkflowTest::service_options();
        options.settings.retention = policy(5, 30);
        return options;
    }
    RetentionSweep& sweep() { return services_->retention(); }
    const RetentionVerdict* verdict_of(const RetentionReview& review,
                                       const std::string& application) {
        for (const auto& verdict : review.applications)
            if (verdict.application == application) return &verdict;
        return nullptr;
    }
    bool readable(const std::string& application) {
        const auto record = workflow::load_application(*store_, application).value();
        return vault_->open_sealed(application, record.sender_sealed).is_ok();
    }
    std::string report_incident(const char* window_to) {
        auto id = incident::report(*store_, "tanaka",
                                   json{{"description", "漏えいの疑い"},
                                        {"from", "2026-11-01T00:00:00+09:00"},
                                        {"to", window_to}}
                                       .dump());
        EXPECT_TRUE(id.is_ok()) << id.status().to_string();
        return id.value();
    }
    Status incident_step(const std::string& id, const std::string& step, const json& arguments) {
        auto taken = incident::take_step(
            *store_,
            [](std::int64_t) {
                return Result<std::vector<std::string>>(std::vector<std::string>{});
            },
            id, step, "tanaka", arguments.dump());
        return taken.is_ok() ? Status::ok() : taken.status();
    }
};

TEST_F(Retention, ASweepErasesWhatIsDueAndKeepsWhatIsHeld) {
    const auto due = paired("due@example.jp");
    const auto open = paired("open@example.jp");
    const auto held = paired("held@example.jp");
    const auto scoped = paired("scoped@example.jp");
    for (const auto& application : {due, held, scoped})
        ASSERT_TRUE(run(application, "withdraw", {{"reason", "申請者から取り下げ"}}).is_ok());
    ASSERT_TRUE(run(held, "hold", {{"reason", "訴訟の証拠"}}).is_ok());
    EXPECT_EQ(run(held, "hold", {{"reason", "again"}}).status().reason(), "already_on_hold");
    EXPECT_EQ(run(held, "erase", {{"reason", "本人の求め"}}).status().reason(), "legal_hold");
    const std::string incident = report_incident("2026-11-30T00:00:00+09:00");
    ASSERT_TRUE(incident_step(incident, "scope", {{"applications", {scoped}}}).is_ok());

    // Closed on Tuesday 2026-11-24: five business days later is Tuesday 12/1.
    auto before = sweep().review();
    ASSERT_TRUE(before.is_ok()) << before.status().to_string();
    EXPECT_EQ(before->count(RetentionAction::erase), 0u);
    EXPECT_EQ(verdict_of(*before, due)->due.due_at_ms, at("2026-12-02T00:00:00+09:00"));

    set_now("2026-12-02T00:00:00+09:00");
    auto review = sweep().review();
    ASSERT_TRUE(review.is_ok());
    EXPECT_EQ(verdict_of(*review, due)->action, RetentionAction::erase);
    EXPECT_EQ(verdict_of(*review, open)->action, RetentionAction::not_due);
    EXPECT_EQ(verdict_of(*review, held)->action, RetentionAction::held);
    EXPECT_EQ(verdict_of(*review, held)->holds, std::vector<std::string>{"legal_hold: 訴訟の証拠"});
    EXPECT_EQ(verdict_of(*review, scoped)->holds, std::vector<std::string>{"incident:" + incident});
    EXPECT_TRUE(readable(due)) << "a review changes nothing";

    const auto blob_ids = workflow::application_blob_ids(*store_, due).value();
    ASSERT_FALSE(blob_ids.empty());
    auto pass = sweep().run();
    ASSERT_TRUE(pass.is_ok()) << pass.status().to_string();
    EXPECT_EQ(pass->erased, std::vector<std::string>{due});
    EXPECT_EQ(pass->held, 2u);
    EXPECT_GT(pass->bytes_reclaimed, 0u);
    EXPECT_FALSE(readable(due));
    for (const auto& id : blob_ids) EXPECT_FALSE(blobs_->contains(id).value()) << id;
    EXPECT_TRUE(readable(open));
    EXPECT_TRUE(readable(held));
    EXPECT_TRUE(readable(scoped));
    const auto erased = events_of_type(due, "RetentionErased");
    ASSERT_EQ(erased.size(), 1u);
    const auto payload = json::parse(erased[0].payload_json);
    EXPECT_EQ(payload["policy"], "after_close_business_days=5;after_usage_period_days=30");
    EXPECT_EQ(payload["rule"], "after_close");
    EXPECT_EQ(erased[0].actor, "retention");
    EXPECT_EQ(state_of(due), "withdrawn") << "erasure is a flag, not a state";
    EXPECT_EQ(sweep().totals().erased, 1u);

    // Released: the hold and the incident's scope. The next sweep erases both.
    ASSERT_TRUE(run(held, "release_hold", {{"reason", "和解"}}).is_ok());
    EXPECT_EQ(run(held, "release_hold", {{"reason", "x"}}).status().reason(), "not_on_hold");
    ASSERT_TRUE(incident_step(incident, "close", {{"report", "影響なし"}}).is_ok());
    auto second = sweep().run();
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->erased.size(), 2u);
    EXPECT_FALSE(readable(held));
    EXPECT_FALSE(readable(scoped));
    EXPECT_TRUE(readable(open));
    // Nothing left to do, and the chain still verifies.
    EXPECT_TRUE(sweep().run()->erased.empty());
    EXPECT_TRUE(verify_store(*database_).value().intact());
}

TEST_F(Retention, AnUnscopedIncidentHoldsEverythingReceivedBeforeItsWindowEnds) {
    const auto early = paired("early@example.jp");
    set_now("2026-11-26T10:00:00+09:00");
    const auto late = paired("late@example.jp");
    const std::string incident = report_incident("2026-11-25T00:00:00+09:00");
    const auto holds = IncidentHolds::read(*store_).value();
    EXPECT_EQ(holds.open_incidents(), 1u);
    EXPECT_EQ(holds.holding(workflow::load_application(*store_, early).value()),
              std::vector<std::string>{"incident:" + incident});
    EXPECT_TRUE(holds.holding(workflow::load_application(*store_, late).value()).empty());
    // Past the usage-period limit everything is due; the incident still holds the early one.
    set_now("2027-05-02T00:00:00+09:00");
    auto pass = sweep().run();
    ASSERT_TRUE(pass.is_ok()) << pass.status().to_string();
    EXPECT_EQ(pass->erased, std::vector<std::string>{late});
    EXPECT_TRUE(readable(early));
    ASSERT_TRUE(incident_step(incident, "close", {{"report", "影響なし"}}).is_ok());
    EXPECT_EQ(IncidentHolds::read(*store_)->open_incidents(), 0u);
    EXPECT_EQ(sweep().run()->erased, std::vector<std::string>{early});
}

TEST_F(Retention, AnErasureACrashInterruptedIsFinishedByTheNextSweep) {
    const auto application = paired("crash@example.jp");
    // The event is durable, the key and blobs are not gone yet: a crash came in between.
    const auto version = workflow::load_application(*store_, application)->version;
    ASSERT_TRUE(store_
                    ->append_with_expected_version(
                        domain::application_stream(application), version,
                        {domain::new_event(domain::RetentionErased{"p", "after_close", "t"},
                                           {.actor = "retention"})})
                    .is_ok());
    ASSERT_TRUE(vault_->is_live(application).value());
    const auto blob_ids = workflow::application_blob_ids(*store_, application).value();
    auto pass = sweep().run();
    ASSERT_TRUE(pass.is_ok()) << pass.status().to_string();
    EXPECT_EQ(pass->finished, 1u);
    EXPECT_TRUE(pass->erased.empty());
    EXPECT_FALSE(vault_->is_live(application).value());
    for (const auto& id : blob_ids) EXPECT_FALSE(blobs_->contains(id).value()) << id;
}

TEST_F(Retention, AMailInFlightKeepsTheKeyUntilItIsDelivered) {
    const auto application = paired("mail@example.jp");
    ASSERT_TRUE(run(application, "reject",
                    {{"codes", {"consent_not_given"}}, {"message", "同意欄をご確認ください"}})
                    .is_ok());
    const auto queued = events_of_type(application, "MailQueued");
    ASSERT_EQ(queued.size(), 1u);
    set_now("2027-01-05T00:00:00+09:00");
    auto review = sweep().review();
    ASSERT_TRUE(review.is_ok());
    EXPECT_EQ(verdict_of(*review, application)->action, RetentionAction::waiting);
    EXPECT_TRUE(sweep().run()->erased.empty());
    EXPECT_TRUE(readable(application)) << "the outbox still needs the key";
    // Delivered: now it goes.
    const auto version = workflow::load_application(*store_, application)->version;
    const std::string mail_id = json::parse(queued[0].payload_json)["mail_id"];
    ASSERT_TRUE(store_
                    ->append_with_expected_version(
                        domain::application_stream(application), version,
                        {domain::new_event(domain::MailSent{mail_id, 1, "<m@example>"})})
                    .is_ok());
    EXPECT_EQ(sweep().run()->erased, std::vector<std::string>{application});
}

TEST_F(Retention, TheCloseLimitCountsFromTheLastDecision) {
    const auto application = paired("decided@example.jp");
    ASSERT_TRUE(run(application, "reject", {{"codes", {"consent_not_given"}}}).is_ok());
    // Ten days later staff ask for a correction: still rejected, but decided again.
    set_now("2026-12-04T10:00:00+09:00");
    ASSERT_TRUE(run(application, "request_correction", {{"codes", {"consent_not_given"}}}).is_ok());
    ASSERT_EQ(state_of(application), "rejected");
    auto review = sweep().review();
    ASSERT_TRUE(review.is_ok());
    // Five business days after Friday 12/4: Friday 12/11, due at its end.
    EXPECT_EQ(verdict_of(*review, application)->due.due_at_ms, at("2026-12-12T00:00:00+09:00"));
}

TEST_F(Retention, APasswordForAFormErasedMeanwhileOpensNothingAndBreaksNothing) {
    const auto waiting = awaiting_password("late@example.jp");
    // Past the usage-period limit: the form that never got its password is erased.
    set_now("2027-05-02T00:00:00+09:00");
    ASSERT_EQ(sweep().run()->erased, std::vector<std::string>{waiting});
    auto outcome = intake_->ingest(
        password_mail("late@example.jp", "late-pw@kakitome.test", "pw-late@example.jp"), "test");
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    EXPECT_FALSE(outcome->paired);
    EXPECT_TRUE(events_of_type(waiting, "PasswordRejected").empty())
        << "nothing is added to an erased application";
}

TEST_F(Retention, MailsThatReachedNoApplicationAreErasedByTheSamePolicy) {
    // Refused at the door (answered: the answer is sealed under the mail's own key), and a mail
    // of another subject, both on Tuesday 2026-11-24.
    auto refused = intake_->ingest(
        testing::build_mail("c@example.jp", testing::encoded_word("PR 動画利用申請", "UTF-8"),
                            "refused@x", "Content-Type: text/plain\r\n", ""),
        "test");
    ASSERT_TRUE(refused.is_ok());
    ASSERT_EQ(refused->classification, "rejected");
    auto unrelated =
        intake_->ingest(testing::build_mail("d@example.jp", "お問い合わせ", "unrelated@x",
                                            "Content-Type: text/plain\r\n", "動画について\r\n"),
                        "test");
    ASSERT_TRUE(unrelated.is_ok());
    std::vector<std::string> streams = store_->stream_names("message-").value();
    std::vector<RefusedMail> mails;
    for (const auto& stream : streams) {
        if (auto mail = load_refused_mail(*store_, stream).value()) mails.push_back(*mail);
    }
    ASSERT_EQ(mails.size(), 2u);
    const RefusedMail& answered = mails[0].kind == "refused" ? mails[0] : mails[1];
    const RefusedMail& other = mails[0].kind == "refused" ? mails[1] : mails[0];
    ASSERT_EQ(answered.mails_in_flight.size(), 1u);
    ASSERT_TRUE(vault_->is_live(answered.stream).value());
    ASSERT_EQ(other.raw_blobs.size(), 1u);

    // Five business days later: the other-subject mail goes; the refused one waits for its answer.
    set_now("2026-12-02T00:00:00+09:00");
    auto pass = sweep().run();
    ASSERT_TRUE(pass.is_ok()) << pass.status().to_string();
    EXPECT_EQ(pass->erased_mails, std::vector<std::string>{other.stream});
    EXPECT_FALSE(blobs_->contains(other.raw_blobs[0]).value());
    EXPECT_TRUE(vault_->is_live(answered.stream).value());
    auto version = store_->stream_version(answered.stream).value();
    ASSERT_TRUE(store_
                    ->append_with_expected_version(answered.stream, version,
                                                   {domain::new_event(domain::MailSent{
                                                       answered.mails_in_flight[0], 1, "<a@x>"})})
                    .is_ok());
    pass = sweep().run();
    ASSERT_TRUE(pass.is_ok());
    EXPECT_EQ(pass->erased_mails, std::vector<std::string>{answered.stream});
    EXPECT_FALSE(vault_->is_live(answered.stream).value()) << "the sealed answer is unreadable";
    for (const auto& blob : answered.raw_blobs) EXPECT_FALSE(blobs_->contains(blob).value());
    EXPECT_TRUE(load_refused_mail(*store_, answered.stream).value()->erased);
    EXPECT_TRUE(verify_store(*database_).value().intact());
}

TEST_F(Retention, WithoutAPolicyNothingIsReviewedOrErased) {
    const auto application = paired("nopolicy@example.jp");
    auto review = review_retention(*store_, workflow::RetentionPolicy{}, config_, now_ms_.load());
    ASSERT_FALSE(review.is_ok());
    EXPECT_EQ(review.status().reason(), "retention_not_configured");
    EXPECT_TRUE(readable(application));
}

}  // namespace
}  // namespace kakitome::retention
