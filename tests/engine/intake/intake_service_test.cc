// The intake service end to end on a real store: pairing in both orders, passwords tried against
// verifiers, duplicates, bad input, and that no secret or PII is stored in clear.
#include "engine/intake/intake_service.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <nlohmann/json.hpp>

#include "engine/domain/streams.h"
#include "engine/intake/refusal_answer.h"
#include "engine/mail/mail_templates.h"
#include "engine/office/office_document.h"
#include "events/test_store.h"
#include "fixtures.h"
#include "mail_builder.h"
#include "replay/store_verifier.h"

namespace kakitome::intake {
namespace {

using nlohmann::json;
using testing::build_mail;
using testing::encoded_word;
using testing::manifest;
using testing::read_fixture;

class Intake : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = kakitome::testing::fresh_directory("intake");
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kDataKeysFamily}})
                .value();
        store_ = EventStore::open(database_, {.durability = Durability::buffered}).value();
        master_[0] = 42;
        blobs_ = std::make_unique<BlobStore>(database_, master_);
        vault_ = DataKeyVault::open(database_, master_,
                                    ErasureJournal::open({directory_ / "erasures.journal"}).value())
                     .value();
        intake_ = std::make_unique<IntakeService>(*store_, *blobs_, *vault_, master_,
                                                  workflow::WorkflowConfig());
    }
    void TearDown() override {
        intake_.reset();
        vault_.reset();
        blobs_.reset();
        store_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    IngestOutcome ingest(const std::string& raw) {
        auto outcome = intake_->ingest(raw, "test");
        EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        return outcome.is_ok() ? outcome.value() : IngestOutcome{};
    }
    std::vector<std::string> types_of(const std::string& application) {
        std::vector<std::string> types;
        const auto events =
            store_->read_stream_forward("application-" + application, StreamVersion{1}, 100)
                .value();
        for (const auto& e : events) types.push_back(e.type);
        return types;
    }
    // Every value in every column family, as stored.
    std::string everything_stored() {
        std::string all;
        for (const char* family : {"events", "streams", "meta", "blobs", kDataKeysFamily}) {
            std::unique_ptr<rocksdb::Iterator> it(
                database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(family)));
            for (it->SeekToFirst(); it->Valid(); it->Next())
                all += it->key().ToString() + it->value().ToString();
        }
        return all;
    }
    std::string form_mail(const std::string& from, const std::string& id,
                          const std::string& password, const std::string& form) {
        const std::string encrypted =
            office::encrypt_document(read_fixture(form), password, office::EncryptionMethod::agile,
                                     1000)
                .value();
        return build_mail(from, encoded_word("PR 動画利用申請", "ISO-2022-JP"), id,
                          "Content-Type: text/plain; charset=us-ascii\r\n", "",
                          {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
    }
    std::string password_mail(const std::string& from, const std::string& id,
                              const std::string& password) {
        return build_mail(from, encoded_word("PR 動画利用申請", "UTF-8"), id,
                          "Content-Type: text/plain; charset=utf-8\r\n", password + "\r\n");
    }

    std::filesystem::path directory_;
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    AeadKey master_{};
    std::unique_ptr<BlobStore> blobs_;
    std::unique_ptr<DataKeyVault> vault_;
    std::unique_ptr<IntakeService> intake_;
};

TEST_F(Intake, FixtureMailboxPairsEveryApplicationInArrivalOrder) {
    // Arrival order from the manifest: pair 3's password comes before its form.
    const std::vector<std::string> order = {
        "other_subject.eml",   "pair1_form_iso2022jp.eml", "pair1_password_iso2022jp.eml",
        "pair2_form_utf8.eml", "pair2_password_utf8.eml",  "pair3_password_sjis.eml",
        "pair3_form_sjis.eml"};
    std::map<int, std::string> application_of_pair;
    for (const auto& name : order) {
        SCOPED_TRACE(name);
        const auto& entry = manifest()["mail"][name];
        const IngestOutcome outcome = ingest(read_fixture("mail/" + name));
        EXPECT_EQ(outcome.classification, entry["kind"]);
        if (entry["kind"] == "unrelated") continue;
        const int pair = entry["pair"];
        const bool second_of_pair =
            entry["kind"] == "form"
                ? manifest()["mail"]["pair" + std::to_string(pair) + "_password_" +
                                     name.substr(name.rfind('_') + 1)]["arrives_before_form"]
                      .get<bool>()
                : !entry["arrives_before_form"].get<bool>();
        if (!outcome.application.empty()) {
            if (application_of_pair.count(pair)) {
                EXPECT_EQ(application_of_pair[pair], outcome.application);
            }
            application_of_pair[pair] = outcome.application;
        }
        EXPECT_EQ(outcome.paired, second_of_pair);
        if (second_of_pair) {
            EXPECT_EQ(outcome.state, "validated");
        }
    }
    ASSERT_EQ(application_of_pair.size(), 3u);
    EXPECT_EQ(types_of(application_of_pair[3]),
              (std::vector<std::string>{"FormMailReceived", "PasswordMailReceived", "MailsPaired",
                                        "FormDecrypted", "FormParsed", "ApplicationValidated"}));
    const auto paired =
        store_->read_stream_forward("application-" + application_of_pair[3], StreamVersion{3}, 1)
            .value();
    EXPECT_EQ(nlohmann::json::parse(paired.front().payload_json)["order"], "password_first");
    EXPECT_TRUE(verify_store(*database_).value().intact());

    // Nothing secret or personal is stored in clear, in any column family.
    const std::string stored = everything_stored();
    for (const auto& [name, entry] : manifest()["mail"].items()) {
        for (const char* secret : {"password", "sender"}) {
            // A one-letter password ("a" in pair 2) occurs in any byte string; search the rest.
            if (entry.contains(secret) && entry[secret].get<std::string>().size() >= 6) {
                EXPECT_EQ(stored.find(entry[secret].get<std::string>()), std::string::npos)
                    << name << " " << secret;
            }
        }
    }
    for (const char* personal : {"さくら病院", "みなと薬局", "abc-shoji", "院内報"}) {
        EXPECT_EQ(stored.find(personal), std::string::npos) << personal;
    }
}

TEST_F(Intake, SameMailTwiceAddsNothingAndAReusedMessageIdIsFlagged) {
    const std::string mail = read_fixture("mail/pair1_form_iso2022jp.eml");
    const IngestOutcome first = ingest(mail);
    const Seq head = store_->head();
    const IngestOutcome again = ingest(mail);
    EXPECT_EQ(again.classification, "duplicate");
    EXPECT_EQ(again.application, first.application);
    EXPECT_EQ(store_->head(), head);

    std::string altered = mail;
    altered.replace(altered.find("To: info@"), 9, "To: INFO@");
    const IngestOutcome reused = ingest(altered);
    EXPECT_EQ(reused.classification, "rejected");
    EXPECT_EQ(reused.reason, "message_id_reused");
    EXPECT_EQ(store_->head(), Seq{head.value + 1});
    EXPECT_EQ(store_->read_event(store_->head()).value().type, "MessageIdReused");
}

TEST_F(Intake, PasswordIsTriedAgainstEachPendingFormNeverGuessed) {
    const std::string sender = "Kenpo <kenpo@example.or.jp>";
    const IngestOutcome older =
        ingest(form_mail(sender, "f1@x", "first-password", "forms/valid_basic.xlsx"));
    const IngestOutcome newer =
        ingest(form_mail(sender, "f2@x", "second-password", "forms/valid_all_usages.xlsx"));
    ASSERT_NE(older.application, newer.application);
    // The password of the OLDER form: newest-first guessing would pick the wrong one.
    const IngestOutcome password =
        ingest(password_mail("KENPO@Example.OR.JP", "p1@x", "first-password"));
    EXPECT_TRUE(password.paired);
    EXPECT_EQ(password.application, older.application);
    EXPECT_EQ(password.state, "validated");
    EXPECT_EQ(types_of(newer.application), std::vector<std::string>{"FormMailReceived"});
}

TEST_F(Intake, WrongPasswordIsRecordedAndTheRightOneStillPairs) {
    const std::string sender = "a@example.jp";
    const IngestOutcome form =
        ingest(form_mail(sender, "f@x", "right", "forms/invalid_no_consent.xlsx"));
    const IngestOutcome wrong = ingest(password_mail(sender, "p1@x", "wrong"));
    EXPECT_FALSE(wrong.paired);
    EXPECT_EQ(wrong.application, form.application);
    EXPECT_EQ(wrong.state, "password_mismatch");
    const IngestOutcome right = ingest(password_mail(sender, "p2@x", "right"));
    EXPECT_TRUE(right.paired);
    EXPECT_EQ(right.state, "rejected");  // the form itself says 同意しない
    const auto events =
        store_->read_stream_backward("application-" + form.application, StreamVersion{0}, 1)
            .value();
    EXPECT_EQ(nlohmann::json::parse(events.front().payload_json)["codes"],
              nlohmann::json::array({"consent_not_given"}));
}

TEST_F(Intake, HeldPasswordOnlyPairsWithTheFormItOpens) {
    const std::string sender = "b@example.jp";
    EXPECT_EQ(ingest(password_mail(sender, "p@x", "for-the-second")).classification, "password");
    const IngestOutcome unrelated_form =
        ingest(form_mail(sender, "f1@x", "something-else", "forms/valid_basic.xlsx"));
    EXPECT_FALSE(unrelated_form.paired);
    EXPECT_EQ(unrelated_form.state, "awaiting_password");
    const IngestOutcome matching_form =
        ingest(form_mail(sender, "f2@x", "for-the-second", "forms/valid_basic.xlsx"));
    EXPECT_TRUE(matching_form.paired);
    EXPECT_EQ(matching_form.state, "validated");
}

TEST_F(Intake, BadMailIsRejectedWithAReasonAndEarlierEventsStay) {
    ingest(read_fixture("mail/pair1_form_iso2022jp.eml"));
    const auto before = store_->read_all(Seq{1}, 1000).value();
    IntakeService small(*store_, *blobs_, *vault_, master_, workflow::WorkflowConfig(),
                        {.max_bytes = 10000});
    struct Case {
        std::string raw, reason;
    } cases[] = {
        {std::string("From: a@b.jp\r\nSubject: x\r\n\r\n\0\0", 30), "nul_bytes"},
        {std::string(20000, 'x'), "too_large"},
        {std::string("\x01\x02garbage"), "malformed_mime"},
        {build_mail("c@example.jp", encoded_word("PR 動画利用申請", "UTF-8"), "r@x",
                    "Content-Type: text/plain\r\n", ""),
         "no_attachment"},
    };
    for (const auto& c : cases) {
        auto outcome = small.ingest(c.raw, "test");
        ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        EXPECT_EQ(outcome->classification, "rejected");
        EXPECT_EQ(outcome->reason, c.reason);
    }
    // One refusal each; only the mail with a sender and the application subject is answered.
    std::map<std::string, int> types;
    const auto refused = store_->read_all(Seq{before.size() + 1}, 1000).value();
    for (const auto& e : refused) ++types[e.type];
    EXPECT_EQ(types, (std::map<std::string, int>{
                         {"MailRejected", 4}, {"MailQueued", 1}, {"RefusalAnswered", 1}}));
    const auto after = store_->read_all(Seq{1}, before.size()).value();
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].hash, before[i].hash);
    EXPECT_TRUE(verify_store(*database_).value().intact());
}

// Issue 12: a refused mail used to be kept in silence, so an applicant who forgot the password
// waited for a download link that never came. Now intake answers what can be fixed, once per
// mail, and never answers automatic mail or a defence against abuse.
class RefusalAnswers : public Intake {
  protected:
    std::string unencrypted_form(const std::string& from, const std::string& id,
                                 const std::string& extra_headers = "") {
        return extra_headers + build_mail(from, encoded_word("PR 動画利用申請", "UTF-8"), id,
                                          "Content-Type: text/plain; charset=us-ascii\r\n", "",
                                          {{.filename_header = "filename=\"form.xlsx\"",
                                            .bytes = read_fixture("forms/valid_basic.xlsx")}});
    }
    // The refusal and the events after it in the message stream the mail claimed.
    std::vector<RecordedEvent> refusal_stream() {
        Seq at = store_->head();
        auto event = store_->read_event(at).value();
        while (event.type != "MailRejected") event = store_->read_event(Seq{--at.value}).value();
        return store_->read_stream_forward(event.stream, StreamVersion{1}, 10).value();
    }
    json answer_of(const std::vector<RecordedEvent>& stream) {
        return json::parse(stream.front().payload_json).value("answer", json());
    }
};

TEST_F(RefusalAnswers, AFormWithoutPasswordIsAnsweredOnceInJapaneseToItsSender) {
    const std::string raw = unencrypted_form("Koho <koho@sakura-hp.example.jp>", "plain@x");
    EXPECT_EQ(ingest(raw).reason, "attachment_not_encrypted");
    const auto stream = refusal_stream();
    ASSERT_EQ(stream.size(), 2u);
    EXPECT_EQ(stream[0].type, "MailRejected");
    EXPECT_EQ(answer_of(stream), "queued");
    ASSERT_EQ(stream[1].type, "MailQueued");
    const json queued = json::parse(stream[1].payload_json);
    EXPECT_EQ(queued["template"], "intake_refused");
    // Sealed under the message stream's own key: readable for the outbox, not in clear.
    EXPECT_EQ(stream[1].payload_json.find("sakura-hp"), std::string::npos);
    const json sealed = json::parse(vault_
                                        ->open_sealed(domain::data_key_of(stream[1].stream),
                                                      queued["pii_sealed"].get<std::string>())
                                        .value());
    EXPECT_EQ(sealed["to"], "koho@sakura-hp.example.jp");
    const std::string message = sealed["message"];
    EXPECT_NE(message.find("In-Reply-To: <plain@x>"), std::string::npos);
    EXPECT_NE(message.find("Auto-Submitted: auto-replied"), std::string::npos);
    auto parsed = parse_mail(message);
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->subject,
              "【PR 動画利用申請】お送りいただいたメールを受け付けられませんでした");
    EXPECT_NE(parsed->text_body->find("読み取りパスワードが設定されていません"), std::string::npos);

    const Seq head = store_->head();
    EXPECT_EQ(ingest(raw).classification, "duplicate");  // the same mail again: no second answer
    EXPECT_EQ(store_->head(), head);
}

// Review of #12: forged mails in one person's name, each with its own Message-ID, made one
// answer each. Now one address gets one answer a day, whatever the number of forgeries.
TEST_F(RefusalAnswers, ForgedMailsInOneNameGetOneAnswerADay) {
    for (int i = 0; i < 10; ++i)
        ingest(
            unencrypted_form("Victim <victim@example.jp>", "forged-" + std::to_string(i) + "@x"));
    ingest(unencrypted_form("VICTIM@example.jp", "forged-case@x"));  // the same address
    int queued = 0, throttled = 0;
    const auto all = store_->read_all(Seq{1}, 1000).value();
    for (const auto& e : all) {
        if (e.type == "MailQueued") ++queued;
        if (e.type == "MailRejected" && json::parse(e.payload_json)["answer"] == "throttled")
            ++throttled;
    }
    EXPECT_EQ(queued, 1);
    EXPECT_EQ(throttled, 10);
    ingest(unencrypted_form("someone-else@example.jp", "other@x"));  // another address: answered
    EXPECT_EQ(answer_of(refusal_stream()), "queued");
}

TEST_F(RefusalAnswers, AutomaticMailIsNeverAnswered) {
    for (const std::string header : {"Auto-Submitted: auto-replied\r\n", "Precedence: bulk\r\n",
                                     "List-Id: <pr.example.jp>\r\n", "Return-Path: <>\r\n"}) {
        SCOPED_TRACE(header);
        EXPECT_EQ(
            ingest(unencrypted_form("koho@sakura-hp.example.jp", "auto-" + header, header)).reason,
            "attachment_not_encrypted");
        const auto stream = refusal_stream();
        EXPECT_EQ(stream.size(), 1u);
        EXPECT_EQ(answer_of(stream), "automatic_mail");
    }
    for (const std::string header :
         {"Precedence: auto_reply\r\n", "List-Unsubscribe: <mailto:u@pr.example.jp>\r\n",
          "X-Auto-Response-Suppress: All\r\n"}) {
        ingest(unencrypted_form("koho@sakura-hp.example.jp", "auto2-" + header, header));
        EXPECT_EQ(answer_of(refusal_stream()), "automatic_mail") << header;
    }
    for (const std::string robot : {"MAILER-DAEMON", "no-reply", "owner-list", "pr-request"}) {
        ingest(unencrypted_form(robot + "@relay.example.jp", "bounce-" + robot + "@x"));
        EXPECT_EQ(answer_of(refusal_stream()), "automatic_mail") << robot;
    }
    // An address no SMTP server takes is not answered into a permanent failure.
    ingest(unencrypted_form(std::string(250, 'a') + "@example.jp", "long@x"));
    EXPECT_EQ(answer_of(refusal_stream()), "no_sender");
    ingest(unencrypted_form("pr-video@secretariat.example.jp", "own@x"));
    EXPECT_EQ(answer_of(refusal_stream()), "own_address");
}

TEST_F(RefusalAnswers, AMailTooLargeToReadIsAnsweredFromItsHeader) {
    IntakeService small(*store_, *blobs_, *vault_, master_, workflow::WorkflowConfig(),
                        {.max_bytes = 4000});
    const std::string raw = unencrypted_form("koho@sakura-hp.example.jp", "big@x");
    ASSERT_GT(raw.size(), 4000u);
    EXPECT_EQ(small.ingest(raw, "test")->reason, "too_large");
    const auto stream = refusal_stream();
    ASSERT_EQ(stream.size(), 2u);
    EXPECT_EQ(stream[1].type, "MailQueued");
}

TEST_F(RefusalAnswers, DefencesAndOtherSubjectsAreNotAnswered) {
    const LastAnswerLookup never_answered = [](const std::string&) {
        return Result<std::optional<std::int64_t>>(std::optional<std::int64_t>());
    };
    // Answering these would let a forged sender aim kakitome's mail at anyone.
    for (const char* defence : {"too_many_pending_forms", "too_many_password_attempts",
                                "message_id_reused", "nul_bytes", "malformed_mime"})
        EXPECT_FALSE(refusal_is_answered(defence)) << defence;
    // Every answered reason has its Japanese wording.
    for (const auto reason : answered_refusal_reasons())
        EXPECT_TRUE(mail::is_known_reason(std::string(reason))) << reason;
    const std::string application_subject =
        build_mail("a@b.jp", encoded_word("PR 動画利用申請", "UTF-8"), "d@x", "", "pw\r\n");
    auto defended = answer_refusal(application_subject, "too_many_password_attempts", "message-00",
                                   *vault_, workflow::WorkflowConfig(), 0, never_answered);
    ASSERT_TRUE(defended.is_ok());
    EXPECT_EQ(defended->outcome, "not_fixable");
    EXPECT_FALSE(defended->mail.has_value());
    auto answer =
        answer_refusal(build_mail("a@b.jp", "Hello", "o@x", "", "hi"), "no_attachment",
                       "message-00", *vault_, workflow::WorkflowConfig(), 0, never_answered);
    ASSERT_TRUE(answer.is_ok());
    EXPECT_EQ(answer->outcome, "not_an_application");
    EXPECT_FALSE(answer->mail.has_value());
}

// Issue 14 §3: intake had no CPU budget. A form may not make one password try expensive, a
// sender may not keep many forms waiting, and a sender's password tries are capped per hour.
class IntakeBudget : public Intake {
  protected:
    void SetUp() override {
        Intake::SetUp();
        intake_.reset();
        store_.reset();
        store_ = EventStore::open(database_, {.durability = Durability::buffered,
                                              .clock_ms = [this] { return now_ms_; }})
                     .value();
        MailLimits limits;
        limits.max_spin_count = 5000;
        limits.max_pending_forms_per_sender = 3;
        limits.max_password_tries_per_sender_per_hour = 4;
        intake_ = std::make_unique<IntakeService>(*store_, *blobs_, *vault_, master_,
                                                  workflow::WorkflowConfig(), limits);
    }
    std::string costly_form_mail(const std::string& from, const std::string& id,
                                 std::uint32_t spins) {
        const std::string encrypted =
            office::encrypt_document(read_fixture("forms/valid_basic.xlsx"), "pw",
                                     office::EncryptionMethod::agile, spins)
                .value();
        return build_mail(from, encoded_word("PR 動画利用申請", "UTF-8"), id,
                          "Content-Type: text/plain; charset=us-ascii\r\n", "",
                          {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
    }
    std::int64_t now_ms_ = 1'750'000'000'000;
};

TEST_F(IntakeBudget, AFormWhoseKeyDerivationIsTooCostlyIsRejectedAtTheDoor) {
    const IngestOutcome costly = ingest(costly_form_mail("c@example.jp", "costly@x", 5001));
    EXPECT_EQ(costly.classification, "rejected");
    EXPECT_EQ(costly.reason, "spin_count_too_high");
    const IngestOutcome fine = ingest(costly_form_mail("c@example.jp", "fine@x", 5000));
    EXPECT_EQ(fine.classification, "form");
}

TEST_F(IntakeBudget, ASenderMayKeepOnlyAFewFormsWaiting) {
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(ingest(form_mail("d@example.jp", "f" + std::to_string(i) + "@x",
                                   "pw" + std::to_string(i), "forms/valid_basic.xlsx"))
                      .classification,
                  "form");
    const IngestOutcome fourth =
        ingest(form_mail("d@example.jp", "f3@x", "pw3", "forms/valid_basic.xlsx"));
    EXPECT_EQ(fourth.classification, "rejected");
    EXPECT_EQ(fourth.reason, "too_many_pending_forms");
    // Another sender is not affected, and a paired form frees its place.
    EXPECT_EQ(
        ingest(form_mail("e@example.jp", "g0@x", "pw", "forms/valid_basic.xlsx")).classification,
        "form");
    EXPECT_TRUE(ingest(password_mail("d@example.jp", "p0@x", "pw0")).paired);
    EXPECT_EQ(
        ingest(form_mail("d@example.jp", "f4@x", "pw4", "forms/valid_basic.xlsx")).classification,
        "form");
}

TEST_F(IntakeBudget, PasswordTriesPerSenderAreCappedPerHour) {
    ingest(form_mail("h@example.jp", "f1@x", "one", "forms/valid_basic.xlsx"));
    ingest(form_mail("h@example.jp", "f2@x", "two", "forms/valid_basic.xlsx"));
    // Two pending forms: each wrong password costs two tries; the budget is four an hour.
    EXPECT_EQ(ingest(password_mail("h@example.jp", "w1@x", "wrong-1")).classification, "password");
    EXPECT_EQ(ingest(password_mail("h@example.jp", "w2@x", "wrong-2")).classification, "password");
    const IngestOutcome spent = ingest(password_mail("h@example.jp", "p@x", "one"));
    EXPECT_EQ(spent.classification, "rejected");
    EXPECT_EQ(spent.reason, "too_many_password_attempts");
    // Other senders keep their own budget.
    ingest(form_mail("i@example.jp", "f3@x", "three", "forms/valid_basic.xlsx"));
    EXPECT_TRUE(ingest(password_mail("i@example.jp", "p3@x", "three")).paired);
    // An hour later the right password pairs.
    now_ms_ += 3'600'001;
    const IngestOutcome later = ingest(password_mail("h@example.jp", "p-later@x", "one"));
    EXPECT_TRUE(later.paired);
    EXPECT_EQ(later.state, "validated");
}

TEST_F(Intake, APasswordWithAControlCharacterIsRefused) {
    // "pass<NUL>word" in a base64 body: it used to become a password.
    const std::string raw = build_mail(
        "n@example.jp", encoded_word("PR 動画利用申請", "UTF-8"), "nul@x",
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
        "cGFzcwB3b3Jk\r\n");
    const IngestOutcome outcome = ingest(raw);
    EXPECT_EQ(outcome.classification, "rejected");
    EXPECT_EQ(outcome.reason, "password_has_control_characters");
}

TEST_F(Intake, DeeplyNestedMimeIsRefusedBeforeItIsParsed) {
    // However the boundary parameter is written (RFC 2231 forms, a comment before the type).
    int variant = 0;
    for (const std::string parameter : {"; boundary=\"b", "; boundary*=''b", "; boundary*0=\"b"}) {
        for (const std::string type : {"multipart/mixed", "(c) Multipart/Mixed"}) {
            std::string body;
            const int depth = 40;
            const std::string id = "deep" + std::to_string(++variant) + "@x";
            std::string head =
                "From: deep@example.jp\r\nSubject: "
                "=?UTF-8?B?UFIg5YuV55S75Yip55So55Sz6KuL?=\r\nMessage-ID: <" +
                id + ">\r\nMIME-Version: 1.0\r\n";
            for (int level = 0; level < depth; ++level) {
                const bool quoted = parameter.back() == '"';
                body += "Content-Type: " + type + parameter + std::to_string(level) +
                        (quoted ? "\"" : "") + "\r\n\r\n--b" + std::to_string(level) + "\r\n";
            }
            body += "Content-Type: text/plain\r\n\r\npassword\r\n";
            for (int level = depth - 1; level >= 0; --level)
                body += "--b" + std::to_string(level) + "--\r\n";
            const IngestOutcome outcome = ingest(head + body);
            EXPECT_EQ(outcome.classification, "rejected") << parameter << " " << type;
            EXPECT_EQ(outcome.reason, "mime_too_deep") << parameter << " " << type;
        }
    }
}

TEST_F(IntakeBudget, ARunOutBudgetIsNotRecordedAsAWrongPassword) {
    for (const char* password : {"one", "two", "three"})
        ingest(form_mail("j@example.jp", std::string("f-") + password + "@x", password,
                         "forms/valid_basic.xlsx"));
    // Three forms wait; one wrong password spends 3 of the 4 tries. The next, right for the
    // oldest form, can try only the newest: it is refused for the budget, not held as wrong.
    ingest(password_mail("j@example.jp", "w@x", "wrong"));
    const IngestOutcome cut_short = ingest(password_mail("j@example.jp", "p@x", "one"));
    EXPECT_EQ(cut_short.classification, "rejected");
    EXPECT_EQ(cut_short.reason, "too_many_password_attempts");
}

}  // namespace
}  // namespace kakitome::intake
