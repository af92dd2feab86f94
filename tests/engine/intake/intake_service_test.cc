// The intake service end to end on a real store: pairing in both orders, passwords tried against
// verifiers, duplicates, bad input, and that no secret or PII is stored in clear.
#include "engine/intake/intake_service.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <nlohmann/json.hpp>

#include "engine/office/office_document.h"
#include "events/test_store.h"
#include "fixtures.h"
#include "mail_builder.h"
#include "replay/store_verifier.h"

namespace kakitome::intake {
namespace {

using testing::build_mail;
using testing::encoded_word;
using testing::manifest;
using testing::read_fixture;

class Intake : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = kakitome::testing::fresh_directory("intake");
        database_ = Database::open({.directory = directory_, .extra_column_families = {kDataKeysFamily}}).value();
        store_ = EventStore::open(database_, {.durability = Durability::buffered}).value();
        master_[0] = 42;
        blobs_ = std::make_unique<BlobStore>(database_, master_);
        vault_ = DataKeyVault::open(database_, master_).value();
        intake_ = std::make_unique<IntakeService>(*store_, *blobs_, *vault_, master_);
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
        const auto events = store_->read_stream_forward("application-" + application, StreamVersion{1}, 100).value();
        for (const auto& e : events) types.push_back(e.type);
        return types;
    }
    // Every value in every column family, as stored.
    std::string everything_stored() {
        std::string all;
        for (const char* family : {"events", "streams", "meta", "blobs", kDataKeysFamily}) {
            std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(family)));
            for (it->SeekToFirst(); it->Valid(); it->Next()) all += it->key().ToString() + it->value().ToString();
        }
        return all;
    }
    std::string form_mail(const std::string& from, const std::string& id, const std::string& password, const std::string& form) {
        const std::string encrypted = office::encrypt_document(read_fixture(form), password, office::EncryptionMethod::agile, 1000).value();
        return build_mail(from, encoded_word("PR 動画利用申請", "ISO-2022-JP"), id, "Content-Type: text/plain; charset=us-ascii\r\n", "",
                          {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
    }
    std::string password_mail(const std::string& from, const std::string& id, const std::string& password) {
        return build_mail(from, encoded_word("PR 動画利用申請", "UTF-8"), id, "Content-Type: text/plain; charset=utf-8\r\n", password + "\r\n");
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
    const std::vector<std::string> order = {"other_subject.eml", "pair1_form_iso2022jp.eml", "pair1_password_iso2022jp.eml",
                                            "pair2_form_utf8.eml", "pair2_password_utf8.eml", "pair3_password_sjis.eml",
                                            "pair3_form_sjis.eml"};
    std::map<int, std::string> application_of_pair;
    for (const auto& name : order) {
        SCOPED_TRACE(name);
        const auto& entry = manifest()["mail"][name];
        const IngestOutcome outcome = ingest(read_fixture("mail/" + name));
        EXPECT_EQ(outcome.classification, entry["kind"]);
        if (entry["kind"] == "unrelated") continue;
        const int pair = entry["pair"];
        const bool second_of_pair = entry["kind"] == "form" ? manifest()["mail"]["pair" + std::to_string(pair) + "_password_" +
                                                                                 name.substr(name.rfind('_') + 1)]["arrives_before_form"].get<bool>()
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
              (std::vector<std::string>{"FormMailReceived", "PasswordMailReceived", "MailsPaired", "FormDecrypted", "FormParsed",
                                        "ApplicationValidated"}));
    const auto paired = store_->read_stream_forward("application-" + application_of_pair[3], StreamVersion{3}, 1).value();
    EXPECT_EQ(nlohmann::json::parse(paired.front().payload_json)["order"], "password_first");
    EXPECT_TRUE(verify_store(*database_).value().intact());

    // Nothing secret or personal is stored in clear, in any column family.
    const std::string stored = everything_stored();
    for (const auto& [name, entry] : manifest()["mail"].items()) {
        for (const char* secret : {"password", "sender"}) {
            // A one-letter password ("a" in pair 2) occurs in any byte string; search the rest.
            if (entry.contains(secret) && entry[secret].get<std::string>().size() >= 6) {
                EXPECT_EQ(stored.find(entry[secret].get<std::string>()), std::string::npos) << name << " " << secret;
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
    const IngestOutcome older = ingest(form_mail(sender, "f1@x", "first-password", "forms/valid_basic.xlsx"));
    const IngestOutcome newer = ingest(form_mail(sender, "f2@x", "second-password", "forms/valid_all_usages.xlsx"));
    ASSERT_NE(older.application, newer.application);
    // The password of the OLDER form: newest-first guessing would pick the wrong one.
    const IngestOutcome password = ingest(password_mail("KENPO@Example.OR.JP", "p1@x", "first-password"));
    EXPECT_TRUE(password.paired);
    EXPECT_EQ(password.application, older.application);
    EXPECT_EQ(password.state, "validated");
    EXPECT_EQ(types_of(newer.application), std::vector<std::string>{"FormMailReceived"});
}

TEST_F(Intake, WrongPasswordIsRecordedAndTheRightOneStillPairs) {
    const std::string sender = "a@example.jp";
    const IngestOutcome form = ingest(form_mail(sender, "f@x", "right", "forms/invalid_no_consent.xlsx"));
    const IngestOutcome wrong = ingest(password_mail(sender, "p1@x", "wrong"));
    EXPECT_FALSE(wrong.paired);
    EXPECT_EQ(wrong.application, form.application);
    EXPECT_EQ(wrong.state, "password_mismatch");
    const IngestOutcome right = ingest(password_mail(sender, "p2@x", "right"));
    EXPECT_TRUE(right.paired);
    EXPECT_EQ(right.state, "rejected");  // the form itself says 同意しない
    const auto events = store_->read_stream_backward("application-" + form.application, StreamVersion{0}, 1).value();
    EXPECT_EQ(nlohmann::json::parse(events.front().payload_json)["codes"], nlohmann::json::array({"consent_not_given"}));
}

TEST_F(Intake, HeldPasswordOnlyPairsWithTheFormItOpens) {
    const std::string sender = "b@example.jp";
    EXPECT_EQ(ingest(password_mail(sender, "p@x", "for-the-second")).classification, "password");
    const IngestOutcome unrelated_form = ingest(form_mail(sender, "f1@x", "something-else", "forms/valid_basic.xlsx"));
    EXPECT_FALSE(unrelated_form.paired);
    EXPECT_EQ(unrelated_form.state, "awaiting_password");
    const IngestOutcome matching_form = ingest(form_mail(sender, "f2@x", "for-the-second", "forms/valid_basic.xlsx"));
    EXPECT_TRUE(matching_form.paired);
    EXPECT_EQ(matching_form.state, "validated");
}

TEST_F(Intake, BadMailIsRejectedWithAReasonAndEarlierEventsStay) {
    ingest(read_fixture("mail/pair1_form_iso2022jp.eml"));
    const auto before = store_->read_all(Seq{1}, 1000).value();
    IntakeService small(*store_, *blobs_, *vault_, master_, {.max_bytes = 10000});
    struct Case {
        std::string raw, reason;
    } cases[] = {
        {std::string("From: a@b.jp\r\nSubject: x\r\n\r\n\0\0", 30), "nul_bytes"},
        {std::string(20000, 'x'), "too_large"},
        {std::string("\x01\x02garbage"), "malformed_mime"},
        {build_mail("c@example.jp", encoded_word("PR 動画利用申請", "UTF-8"), "r@x", "Content-Type: text/plain\r\n", ""), "no_attachment"},
    };
    for (const auto& c : cases) {
        auto outcome = small.ingest(c.raw, "test");
        ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        EXPECT_EQ(outcome->classification, "rejected");
        EXPECT_EQ(outcome->reason, c.reason);
        EXPECT_EQ(store_->read_event(store_->head()).value().type, "MailRejected");
    }
    const auto after = store_->read_all(Seq{1}, before.size()).value();
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i].hash, before[i].hash);
    EXPECT_TRUE(verify_store(*database_).value().intact());
}

}  // namespace
}  // namespace kakitome::intake
