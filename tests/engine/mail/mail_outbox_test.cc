// The outbox against a real SMTP server (python3-aiosmtpd on 127.0.0.1): mails arrive readable
// in Japanese with their stable Message-ID, an outage is retried with backoff, and killing the
// server in the middle of a run loses nothing (at-least-once, duplicates recognisable).
#include "engine/mail/mail_outbox.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/intake/mail_message.h"
#include "engine/workflow/workflow_fixture.h"
#include "events/meta_store.h"
#include "smtp_sink.h"

namespace kakitome::mail {
namespace {

using kakitome::testing::build_mail;
using kakitome::testing::encoded_word;
using nlohmann::json;

class Outbox : public testing::WorkflowTest {
  protected:
    OutboxOptions options(const std::string& url) {
        OutboxOptions options;
        options.smtp.url = url;
        options.smtp.timeout = std::chrono::seconds(10);
        return options;
    }
    std::set<std::string> queued_message_ids() {
        std::set<std::string> ids;
        auto all = store_->read_all(Seq{1}, 1000000);
        for (const auto& event : all.value()) {
            if (event.type == "MailQueued")
                ids.insert(json::parse(event.payload_json)["message_id"].get<std::string>());
        }
        return ids;
    }
    std::map<std::string, int> received_message_ids(const testing::SmtpSink& sink) {
        std::map<std::string, int> ids;
        for (const auto& raw : sink.received()) {
            auto parsed = intake::parse_mail(raw);
            if (parsed.is_ok()) ++ids[parsed->message_id];
        }
        return ids;
    }
    std::filesystem::path maildir() { return directory_.string() + "-maildir"; }
    void TearDown() override {
        std::filesystem::remove_all(maildir());
        WorkflowTest::TearDown();
    }
};

TEST_F(Outbox, DeliversJapaneseMailWithItsStableMessageId) {
    testing::SmtpSink sink(maildir(), testing::free_tcp_port());
    ASSERT_TRUE(sink.start()) << "python3-aiosmtpd did not start";
    const auto application = paired("koho@sakura-hp.example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    const std::string token = token_mailed_to(application);
    MailOutbox outbox(*store_, *vault_, options(sink.url()), clock());
    auto report = outbox.deliver_due();
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_EQ(report->sent, 1);
    EXPECT_EQ(report->pending, 0);

    const auto received = sink.received();
    ASSERT_EQ(received.size(), 1u);
    auto mail = intake::parse_mail(received[0]);  // GMime reads it back
    ASSERT_TRUE(mail.is_ok()) << mail.status().to_string();
    EXPECT_EQ(mail->subject, "【PR 動画利用申請】ダウンロードURLのご案内");
    EXPECT_EQ(mail->sender_display, "PR動画事務局");
    ASSERT_TRUE(mail->text_body.has_value());
    EXPECT_NE(mail->text_body->find("医療法人社団 桜会 さくら病院"), std::string::npos);
    EXPECT_NE(mail->text_body->find("https://pr-video.example.jp/d/" + token), std::string::npos);
    EXPECT_EQ(queued_message_ids(), std::set<std::string>{mail->message_id});
    const auto sent = events_of_type(application, "MailSent");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(json::parse(sent[0].payload_json)["attempt"], 1);
    // A second pass sends nothing more.
    EXPECT_EQ(outbox.deliver_due()->sent, 0);
    EXPECT_EQ(sink.count(), 1u);
}

// Issue 12: the answer to a refused mail goes out through the same outbox, from the message
// stream, and reaches the applicant readable, in reply to their mail, once.
TEST_F(Outbox, TheAnswerToARefusedMailReachesTheApplicantOnce) {
    testing::SmtpSink sink(maildir(), testing::free_tcp_port());
    ASSERT_TRUE(sink.start()) << "python3-aiosmtpd did not start";
    const std::string no_attachment =
        build_mail("koho@sakura-hp.example.jp", encoded_word("PR 動画利用申請", "UTF-8"),
                   "forgot@kakitome.test", "Content-Type: text/plain; charset=utf-8\r\n", "");
    ASSERT_EQ(intake_->ingest(no_attachment, "test")->reason, "no_attachment");
    MailOutbox outbox(*store_, *vault_, options(sink.url()), clock());
    auto report = outbox.deliver_due();
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_EQ(report->sent, 1);
    ASSERT_EQ(sink.count(), 1u);
    const std::string raw = sink.received()[0];
    EXPECT_NE(raw.find("In-Reply-To: <forgot@kakitome.test>"), std::string::npos);
    auto mail = intake::parse_mail(raw);
    ASSERT_TRUE(mail.is_ok()) << mail.status().to_string();
    EXPECT_EQ(mail->subject, "【PR 動画利用申請】お送りいただいたメールを受け付けられませんでした");
    EXPECT_NE(mail->text_body->find("申請書が添付されておらず"), std::string::npos);
    EXPECT_EQ(queued_message_ids(), std::set<std::string>{mail->message_id});

    EXPECT_EQ(intake_->ingest(no_attachment, "test")->classification, "duplicate");
    EXPECT_EQ(outbox.deliver_due()->sent, 0);
    EXPECT_EQ(sink.count(), 1u);
}

TEST_F(Outbox, AnOutageIsRetriedWithBackoffAndNothingIsLost) {
    const int port = testing::free_tcp_port();
    const auto application = paired("outage@example.jp");
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(
            run(application, "request_correction", {{"message", "確認 " + std::to_string(i)}})
                .is_ok());
    }
    MailOutbox outbox(*store_, *vault_, options("smtp://127.0.0.1:" + std::to_string(port)),
                      clock());
    auto down = outbox.deliver_due();
    ASSERT_TRUE(down.is_ok());
    EXPECT_EQ(down->failed, 1) << "a dead server is tried once per pass, not once per mail";
    EXPECT_EQ(down->pending, 5);
    const auto failed = json::parse(events_of_type(application, "MailFailed").front().payload_json);
    EXPECT_EQ(failed["attempt"], 1);
    EXPECT_EQ(failed["final"], false);
    EXPECT_EQ(failed["next_attempt_at"], format_rfc3339_ms(now_ms_ + 30'000));

    testing::SmtpSink sink(maildir(), port);
    ASSERT_TRUE(sink.start());
    // A restarted outbox knows the backoff from the log: the failed mail waits, the rest go.
    MailOutbox restarted(*store_, *vault_, options(sink.url()), clock());
    auto up = restarted.deliver_due();
    EXPECT_EQ(up->sent, 4);
    EXPECT_EQ(up->pending, 1);
    now_ms_ += 31'000;
    EXPECT_EQ(restarted.deliver_due()->sent, 1);
    EXPECT_EQ(restarted.pending(), 0u);
    auto received = received_message_ids(sink);
    EXPECT_EQ(received.size(), 5u);
    for (const auto& id : queued_message_ids()) EXPECT_EQ(received[id], 1) << id;
}

// A start folds only what came after the outbox's stored state, not the whole log again (14 s at
// 10M events); a state from another history, or unreadable, is dropped and the log folded again.
TEST_F(Outbox, AStartResumesFromTheStoredStateNotTheWholeLog) {
    const auto application = paired("resume@example.jp");
    ASSERT_TRUE(run(application, "request_correction", {{"message", "確認"}}).is_ok());
    const auto dead = options("smtp://127.0.0.1:" + std::to_string(testing::free_tcp_port()));
    {
        MailOutbox outbox(*store_, *vault_, dead, clock());
        auto down = outbox.deliver_due();
        ASSERT_TRUE(down.is_ok()) << down.status().to_string();
        EXPECT_EQ(down->pending, 1);
    }
    MetaStore meta(store_->database());
    auto stored = meta.get("outbox:state");
    ASSERT_TRUE(stored.is_ok() && stored->has_value()) << "the state was not stored";
    json state = json::parse(**stored);
    EXPECT_EQ(state["position"], store_->head().value);
    ASSERT_EQ(state["pending"].size(), 1u);

    // What the stored state holds is what a restarted outbox knows: three mails that only the
    // state names (the log's own is left out of it). After it, one of them was sent.
    const json mail = state["pending"].begin().value();
    state["pending"] = {{"first", mail}, {"second", mail}, {"third", mail}};
    ASSERT_TRUE(meta.put("outbox:state", state.dump()).is_ok());
    ASSERT_TRUE(store_
                    ->append(domain::application_stream(application), ExpectedVersion::any(),
                             {domain::new_event(domain::MailSent{"first", 1, "<first@test>"})})
                    .is_ok());
    auto pending_after_start = [&](const std::string& stored_state) {
        EXPECT_TRUE(meta.put("outbox:state", stored_state).is_ok());
        MailOutbox restarted(*store_, *vault_, dead, clock());
        const Status folded = restarted.catch_up();
        EXPECT_TRUE(folded.is_ok()) << folded.to_string();
        EXPECT_EQ(restarted.position(), store_->head());
        return restarted.pending();
    };
    // 2: resumed and folded what came after; 1: the log folded again, the state ignored; 3: the
    // state loaded but the log folded from its start.
    EXPECT_EQ(pending_after_start(state.dump()), 2u);

    json ahead = state;
    ahead["position"] = store_->head().value + 1;
    EXPECT_EQ(pending_after_start(ahead.dump()), 1u) << "trusted a state beyond the log";
    json forked = state;
    forked["hash"] = std::string(64, '0');
    EXPECT_EQ(pending_after_start(forked.dump()), 1u) << "trusted a state of another history";
    json wrong_types = state;
    wrong_types["format"] = "1";
    EXPECT_EQ(pending_after_start(wrong_types.dump()), 1u);
    json no_position = state;
    no_position.erase("position");
    EXPECT_EQ(pending_after_start(no_position.dump()), 1u);
    EXPECT_EQ(pending_after_start("{not json"), 1u);
}

TEST_F(Outbox, KillingTheServerMidRunLosesNoMail) {
    const int port = testing::free_tcp_port();
    const auto application = paired("killed@example.jp");
    constexpr int kMails = 60;
    for (int i = 0; i < kMails; ++i) {
        ASSERT_TRUE(
            run(application, "request_correction", {{"message", "お知らせ " + std::to_string(i)}})
                .is_ok());
    }
    testing::SmtpSink sink(maildir(), port);
    ASSERT_TRUE(sink.start());
    std::atomic<bool> killed{false};
    std::thread killer([&] {
        while (sink.count() < 8) std::this_thread::sleep_for(std::chrono::microseconds(200));
        sink.kill();
        killed = true;
    });
    MailOutbox outbox(*store_, *vault_, options(sink.url()), clock());
    DeliveryReport first{};
    while (!killed) {
        auto report = outbox.deliver_due();
        ASSERT_TRUE(report.is_ok());
        first.sent += report->sent;
        first.failed += report->failed;
        if (report->pending == 0) break;
    }
    killer.join();
    auto after_kill = outbox.deliver_due();  // the server is gone now
    ASSERT_TRUE(after_kill.is_ok());
    first.failed += after_kill->failed;
    ASSERT_GT(first.failed, 0) << "the kill must land while mail is still queued";
    ASSERT_LT(first.sent, kMails);

    testing::SmtpSink again(maildir(), port);
    ASSERT_TRUE(again.start());
    for (int pass = 0; pass < 20 && outbox.pending() > 0; ++pass) {
        now_ms_ += 3'600'000;  // past any backoff
        ASSERT_TRUE(outbox.deliver_due().is_ok());
    }
    EXPECT_EQ(outbox.pending(), 0u);
    const auto received = received_message_ids(again);
    const auto queued = queued_message_ids();
    ASSERT_EQ(queued.size(), static_cast<std::size_t>(kMails));
    int duplicates = 0;
    for (const auto& id : queued) {
        EXPECT_GE(received.count(id) ? received.at(id) : 0, 1) << "lost: " << id;
        if (received.count(id) && received.at(id) > 1) ++duplicates;
    }
    EXPECT_LE(duplicates, 1) << "only a mail in flight at the kill may arrive twice";
    EXPECT_EQ(events_of_type(application, "MailSent").size(), static_cast<std::size_t>(kMails));
}

}  // namespace
}  // namespace kakitome::mail
