// Timers as events: reminders, SLA due and overdue in business days, link expiry; nothing fires
// early or twice, and a scheduler started after downtime fires what fell due meanwhile.
#include "engine/workflow/timer_scheduler.h"

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/download/download_service.h"
#include "workflow_fixture.h"

namespace kakitome::workflow {
namespace {

using nlohmann::json;

class Timers : public testing::WorkflowTest {
  protected:
    // One round of a scheduler of its own, on the worker's records.
    int fire() {
        TimerScheduler scheduler(*store_, *vault_, config_, clock(),
                                 services_->application_records());
        auto fired = scheduler.fire_due();
        EXPECT_TRUE(fired.is_ok()) << fired.status().to_string();
        if (!fired.is_ok()) return -1;
        EXPECT_TRUE(fired->failed.empty()) << fired->failed.front().status.to_string();
        return fired->fired;
    }
};

TEST_F(Timers, PasswordReminderAfterTwoBusinessDays) {
    // Received Friday 2026-11-20 10:00 JST; 11/23 is a holiday, so the 2nd business day is 11/25.
    set_now("2026-11-20T10:00:00+09:00");
    const auto application = awaiting_password("late@example.jp");
    set_now("2026-11-24T23:59:59+09:00");
    EXPECT_EQ(fire(), 0);
    set_now("2026-11-25T00:00:00+09:00");
    EXPECT_EQ(fire(), 1);
    const auto reminder = events_of_type(application, "PasswordReminderDue");
    ASSERT_EQ(reminder.size(), 1u);
    EXPECT_EQ(json::parse(reminder[0].payload_json)["due_at"], "2026-11-24T15:00:00.000Z");
    const auto mails = events_of_type(application, "MailQueued");
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(json::parse(mails[0].payload_json)["template"], "password_reminder");
    set_now("2026-12-25T00:00:00+09:00");
    EXPECT_EQ(fire(), 0) << "a reminder fires once";
}

TEST_F(Timers, AWrongPasswordAlsoGetsAReminderSayingSo) {
    set_now("2026-11-20T10:00:00+09:00");
    const auto application = awaiting_password("typo@example.jp");
    ASSERT_TRUE(
        intake_
            ->ingest(password_mail("typo@example.jp", "typo-pw@example.jp", "not-the-password"),
                     "test")
            .is_ok());
    ASSERT_EQ(state_of(application), "password_mismatch");
    set_now("2026-11-25T00:00:00+09:00");
    EXPECT_EQ(fire(), 1);
    const auto mails = events_of_type(application, "MailQueued");
    ASSERT_EQ(mails.size(), 1u);
    const auto sealed = json::parse(mails[0].payload_json)["pii_sealed"].get<std::string>();
    const std::string message =
        json::parse(vault_->open_sealed(application, sealed).value())["message"];
    std::string encoded;
    for (char c : message.substr(message.find("\r\n\r\n") + 4)) {
        if (c != '\r' && c != '\n') encoded += c;
    }
    EXPECT_NE(kakitome::base64_decode(encoded).value().find("開けませんでした"), std::string::npos);
}

// One application whose timer cannot fire (here its form mail's sender was sealed under a key the
// vault does not have, so its reminder has no address) must not hold up the others' timers, nor
// the rest of the worker's pass: the mail, the read models, the ledger and its checkpoints. It is
// tried again after a backoff, and reported once per error.
TEST_F(Timers, AnApplicationWhoseTimerCannotFireDoesNotHoldUpTheOthers) {
    set_now("2026-11-20T10:00:00+09:00");
    const std::string broken = "0-broken";  // sorts before every generated identifier
    ASSERT_TRUE(store_
                    ->append(domain::application_stream(broken), ExpectedVersion::any(),
                             {domain::new_event(domain::FormMailReceived{
                                 .sender_key = "k", .pii_sealed = "not base64"})})
                    .is_ok());
    const auto healthy = awaiting_password("late@example.jp");
    set_now("2026-11-25T00:00:00+09:00");
    auto pass = services_->worker().run_pass();
    ASSERT_TRUE(pass.is_ok()) << pass.status().to_string();
    EXPECT_EQ(events_of_type(healthy, "PasswordReminderDue").size(), 1u);
    EXPECT_EQ(events_of_type(healthy, "MailQueued").size(), 1u);
    EXPECT_EQ(pass->mail.sent + pass->mail.failed, 1) << "the reminder's mail was tried";
    EXPECT_TRUE(events_of_type(broken, "PasswordReminderDue").empty());
    EXPECT_EQ(pass->projections_at, store_->head()) << "the read models caught up";
    EXPECT_EQ(services_->ledger().size(), store_->head().value) << "the ledger grew";
    EXPECT_EQ(pass->timers_fired, 1);
    ASSERT_EQ(pass->timers_failed.size(), 1u);
    EXPECT_EQ(pass->timers_failed[0].application, broken);
    EXPECT_EQ(pass->timers_failed[0].status.code(), StatusCode::not_found);
    ASSERT_EQ(pass->timers_newly_failed.size(), 1u) << "reported the first time";
    EXPECT_EQ(services_->worker().totals().timers_failing, 1u);

    // The next pass within its backoff does not try it; it is still failing, and not reported.
    auto waiting = services_->worker().run_pass();
    ASSERT_TRUE(waiting.is_ok()) << waiting.status().to_string();
    EXPECT_TRUE(waiting->timers_failed.empty()) << "not tried before its backoff ran out";
    EXPECT_TRUE(waiting->timers_newly_failed.empty());
    EXPECT_EQ(services_->worker().totals().timers_failing, 1u);

    // Tried again a second later, failing the same way: not reported again; the wait doubles.
    set_now("2026-11-25T00:00:01+09:00");
    auto again = services_->worker().run_pass();
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    ASSERT_EQ(again->timers_failed.size(), 1u);
    EXPECT_EQ(again->timers_failed[0].attempts, 2);
    EXPECT_EQ(again->timers_failed[0].retry_at_ms - clock()(), 2000);
    EXPECT_TRUE(again->timers_newly_failed.empty());

    // Failing another way now (the key exists; the sealed text is not base64): reported again.
    ASSERT_TRUE(vault_->seal(broken, "{}").is_ok());
    set_now("2026-11-25T00:00:03+09:00");
    auto changed = services_->worker().run_pass();
    ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
    ASSERT_EQ(changed->timers_newly_failed.size(), 1u) << "a new error is reported";
    EXPECT_EQ(changed->timers_newly_failed[0].status.code(), StatusCode::corruption);

    // No longer due (erased): no longer failing.
    ASSERT_TRUE(store_
                    ->append(domain::application_stream(broken), ExpectedVersion::any(),
                             {domain::new_event(domain::ApplicationErased{"test"})})
                    .is_ok());
    auto over = services_->worker().run_pass();
    ASSERT_TRUE(over.is_ok()) << over.status().to_string();
    EXPECT_TRUE(over->timers_failed.empty());
    EXPECT_EQ(services_->worker().totals().timers_failing, 0u);
}

TEST(TimerRetry, DoublesFromOneSecondUpToFiveMinutes) {
    EXPECT_EQ(timer_retry_delay_ms(1), 1000);
    EXPECT_EQ(timer_retry_delay_ms(2), 2000);
    EXPECT_EQ(timer_retry_delay_ms(9), 256'000);
    EXPECT_EQ(timer_retry_delay_ms(10), 300'000);
    EXPECT_EQ(timer_retry_delay_ms(1000), 300'000);
}

// The scheduler fires from the read models' records and folds no log of its own (so that a
// start does not read the whole log again, nor hold a second copy of every record): what they
// have not folded yet does not fire yet, and a record behind its stream fires nothing twice.
TEST_F(Timers, FireFromTheReadModelsRecordsEachCheckedAgainstItsStream) {
    set_now("2026-11-20T10:00:00+09:00");
    const auto application = awaiting_password("late@example.jp");
    set_now("2026-11-25T00:00:00+09:00");
    // Records that stay empty whatever the log holds.
    struct NoRecords : ApplicationRecords {
        Status catch_up_records() override { return Status::ok(); }
        void for_each_record(const std::function<void(const ApplicationRecord&)>&) const override {}
    } none_folded;
    TimerScheduler blind(*store_, *vault_, config_, clock(), none_folded);
    auto none = blind.fire_due();
    ASSERT_TRUE(none.is_ok()) << none.status().to_string();
    EXPECT_EQ(none->fired, 0) << "fired from a fold of its own";
    EXPECT_TRUE(events_of_type(application, "PasswordReminderDue").empty());

    // Records that fold the log only when asked, and fall behind the stream meanwhile.
    struct Lagging : ApplicationRecords {
        ApplicationRecords& records;
        bool hold = false;
        explicit Lagging(ApplicationRecords& followed) : records(followed) {}
        Status catch_up_records() override {
            return hold ? Status::ok() : records.catch_up_records();
        }
        void for_each_record(
            const std::function<void(const ApplicationRecord&)>& visit) const override {
            records.for_each_record(visit);
        }
    } lagging(services_->application_records());
    TimerScheduler scheduler(*store_, *vault_, config_, clock(), lagging);
    auto first = scheduler.fire_due();
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_EQ(first->fired, 1);
    // The records have not folded the reminder yet; its stream has it.
    lagging.hold = true;
    auto second = scheduler.fire_due();
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    EXPECT_EQ(second->fired, 0) << "counted a timer the stream had already fired";
    EXPECT_EQ(events_of_type(application, "PasswordReminderDue").size(), 1u);
    EXPECT_EQ(events_of_type(application, "MailQueued").size(), 1u);
}

TEST_F(Timers, SlaDueOnTheFourthAndOverdueOnTheFifthBusinessDay) {
    set_now("2026-09-18T09:30:00+09:00");  // Friday before the 2026 silver week
    const auto open = paired("open@example.jp");
    const auto handled = paired("handled@example.jp");
    ASSERT_TRUE(run(handled, "approve").is_ok());
    // 9/21-23 are holidays: business days 9/24, 9/25, 9/28, 9/29 (due), 9/30 (overdue).
    set_now("2026-09-28T23:00:00+09:00");
    EXPECT_EQ(fire(), 0);
    set_now("2026-09-29T00:00:00+09:00");
    EXPECT_EQ(fire(), 1);
    EXPECT_EQ(events_of_type(open, "SlaDue").size(), 1u);
    set_now("2026-09-30T00:00:01+09:00");
    EXPECT_EQ(fire(), 1);
    ASSERT_EQ(events_of_type(open, "SlaOverdue").size(), 1u);
    EXPECT_EQ(json::parse(events_of_type(open, "SlaOverdue")[0].payload_json)["due_at"],
              "2026-09-29T15:00:00.000Z");
    EXPECT_TRUE(events_of_type(handled, "SlaDue").empty())
        << "an application with its URL issued is not due";
}

TEST_F(Timers, TimersMissedDuringDowntimeFireOnceAfterRestart) {
    set_now("2026-11-24T10:00:00+09:00");
    const auto application = paired("downtime@example.jp");
    close();
    set_now("2026-12-10T12:00:00+09:00");  // long after due and overdue
    open();
    EXPECT_EQ(fire(), 1);  // one application, both timers in one append
    EXPECT_EQ(events_of_type(application, "SlaDue").size(), 1u);
    EXPECT_EQ(events_of_type(application, "SlaOverdue").size(), 1u);
    close();
    open();
    EXPECT_EQ(fire(), 0);
}

TEST_F(Timers, LinksExpireAndThenAnswer410) {
    set_now("2026-11-24T10:00:00+09:00");
    const auto application = paired("expire@example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    const std::string token = token_mailed_to(application);
    download::DownloadService downloads(*store_, config_, clock());
    set_now("2026-12-08T23:59:59+09:00");
    EXPECT_EQ(fire(), 0);
    EXPECT_EQ(downloads.handle({token, "r1", "192.0.2.1", "test"})->status, 302);
    set_now("2026-12-09T00:00:00+09:00");
    // Even before the timer fires, the link is past its time.
    auto refused = downloads.handle({token, "r2", "192.0.2.1", "test"});
    EXPECT_EQ(refused->status, 410);
    EXPECT_NE(refused->body.find("expired"), std::string::npos);
    EXPECT_EQ(fire(), 1);
    EXPECT_EQ(events_of_type(application, "UrlExpired").size(), 1u);
    EXPECT_EQ(state_of(application), "downloaded");  // it was downloaded before expiring
}

TEST_F(Timers, DownloadRedirectsToAFiveMinutePresignedUrlAndUnknownTokensWriteNothing) {
    const auto application = paired("dl@example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    download::DownloadService downloads(*store_, config_, clock());
    auto redirected =
        downloads.handle({token_mailed_to(application), "req-9", "198.51.100.7", "curl"});
    ASSERT_EQ(redirected->status, 302);
    EXPECT_EQ(redirected->location.rfind(
                  "https://kenpo-video.s3.ap-northeast-1.amazonaws.com/pr/video.mp4?", 0),
              0u);
    EXPECT_NE(redirected->location.find("X-Amz-Expires=300"), std::string::npos);
    EXPECT_NE(redirected->location.find("X-Amz-Date=20261124T010000Z"), std::string::npos);
    const auto logged =
        json::parse(events_of_type(application, "UrlDownloaded").front().payload_json);
    EXPECT_EQ(logged["request_id"], "req-9");
    EXPECT_EQ(logged["remote"], "198.51.100.7");
    EXPECT_EQ(state_of(application), "downloaded");

    const auto head = store_->head();
    EXPECT_EQ(downloads.handle({std::string(43, 'A'), "x", "198.51.100.7", "curl"})->status, 404);
    EXPECT_EQ(downloads.handle({"short", "x", "198.51.100.7", "curl"})->status, 404);
    EXPECT_EQ(downloads.handle({std::string(43, '/'), "x", "198.51.100.7", "curl"})->status, 404);
    EXPECT_EQ(store_->head(), head);
}

}  // namespace
}  // namespace kakitome::workflow
