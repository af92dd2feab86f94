// Stored projections: catch-up resumes from the stored position, folds nothing twice, and the
// stored rows equal a rebuild from seq 1 byte for byte; the queue orders by SLA due date.
#include "projections/directory_projection.h"
#include "projections/disclosure_index.h"
#include "projections/downloads_projection.h"
#include "projections/inbox_projection.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/mail/mail_outbox.h"
#include "engine/workflow/workflow_fixture.h"
#include "local_ports.h"
#include "run_command.h"

namespace kakitome {
namespace {

using nlohmann::json;
using testing::build_mail;
using testing::encoded_word;

class Projections : public testing::WorkflowTest {};

TEST_F(Projections, StoredRowsEqualARebuildAndCatchUpResumes) {
    set_now("2026-11-24T10:00:00+09:00");
    const auto first = paired("one@example.jp");
    const auto second = paired("two@example.jp", "forms/invalid_no_consent.xlsx");
    {
        QueueProjection queue(config_);
        ProjectionRunner runner(*store_, queue);
        ASSERT_TRUE(runner.load().is_ok());
        ASSERT_TRUE(runner.catch_up().is_ok());
        EXPECT_EQ(runner.position(), store_->head());
    }
    ASSERT_TRUE(run(first, "approve").is_ok());
    ASSERT_TRUE(run(second, "assign", {{"assignee", "suzuki"}}).is_ok());
    const auto third = awaiting_password("three@example.jp");
    // Reopen the bare store (Services would catch its worker's projections up on open).
    close();
    auto database =
        Database::open({.directory = directory_, .extra_column_families = projection_families()});
    ASSERT_TRUE(database.is_ok()) << database.status().to_string();
    auto reopened = EventStore::open(database.value());
    ASSERT_TRUE(reopened.is_ok());
    store_ = reopened.value().get();  // the fixture's own Services is closed
    QueueProjection live(config_);
    DownloadsProjection live_downloads;
    ProjectionRunner runner(*store_, live), downloads_runner(*store_, live_downloads);
    ASSERT_TRUE(runner.load().is_ok());
    ASSERT_TRUE(downloads_runner.load().is_ok());
    const Seq resumed_from = runner.position();
    EXPECT_LT(resumed_from, store_->head());
    ASSERT_TRUE(runner.catch_up().is_ok());
    ASSERT_TRUE(downloads_runner.catch_up().is_ok());
    ASSERT_TRUE(runner.catch_up().is_ok());  // nothing new: nothing changes

    QueueProjection rebuilt(config_);
    DownloadsProjection rebuilt_downloads;
    ASSERT_TRUE(rebuild_projection(*store_, rebuilt, store_->head()).is_ok());
    ASSERT_TRUE(rebuild_projection(*store_, rebuilt_downloads, store_->head()).is_ok());
    EXPECT_EQ(projection_rows(live), projection_rows(rebuilt));
    EXPECT_EQ(projection_rows(live_downloads), projection_rows(rebuilt_downloads));
    EXPECT_EQ(projection_rows(live).size(), 3u);

    // Reload what was stored: it is what the live projection holds.
    QueueProjection reloaded(config_);
    ProjectionRunner reload_runner(*store_, reloaded);
    ASSERT_TRUE(reload_runner.load().is_ok());
    EXPECT_EQ(reload_runner.position(), store_->head());
    EXPECT_EQ(projection_rows(reloaded), projection_rows(rebuilt));

    const auto entries = live.entries(now_ms_);
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].application, second);  // open, due 2026-11-30
    EXPECT_EQ(entries[0].assignee, "suzuki");
    EXPECT_EQ(entries[0].sla_due_date, "2026-11-30");
    EXPECT_EQ(entries[1].application, third);  // open, not paired: no due date yet
    EXPECT_EQ(entries[2].application, first);  // closed: URL issued
    EXPECT_TRUE(entries[2].closed);
    EXPECT_FALSE(entries[0].overdue);
    EXPECT_TRUE(live.entries(parse_rfc3339_ms("2026-12-01T00:00:00+09:00").value())[0].overdue);
    ASSERT_NE(live_downloads.links(first), nullptr);
    EXPECT_EQ(live_downloads.links(first)->size(), 1u);
}

// A projection whose row format changed (queue 1 -> 2 added the usage channels, 2 -> 3 the
// form's date and consent) does not load
// the old rows: it folds the log again, and its first write replaces every old row, including
// rows the new fold would never write.
// Issue 12: the mails that went nowhere were only in the log. The inbox lists them with their
// reason and follows the automatic answer through the outbox; forms and passwords stay out.
// A page that fails half way (here an event that does not decode, after one that folds) leaves
// the rows as stored: folding the page again applies each of its events once. Before, the first
// event stayed applied in memory and was applied again at every try.
TEST_F(Projections, APageThatFailsHalfWayIsNotAppliedTwice) {
    set_now("2026-11-24T10:00:00+09:00");
    const auto application = awaiting_password("twice@example.jp");
    QueueProjection queue(config_);
    ProjectionRunner runner(*store_, queue);
    ASSERT_TRUE(runner.load().is_ok());
    ASSERT_TRUE(runner.catch_up().is_ok());
    const auto before = projection_rows(queue);
    const Seq position = runner.position();
    ASSERT_TRUE(store_
                    ->append(domain::application_stream(application), ExpectedVersion::any(),
                             {domain::new_event(domain::ApplicationAssigned{"sato"}),
                              NewEvent{.type = std::string(domain::ApplicationAssigned::kType),
                                       .payload_json = R"({"not_a_field":1})"}})
                    .is_ok());
    for (int attempt = 0; attempt < 2; ++attempt) {
        EXPECT_FALSE(runner.catch_up().is_ok()) << "the event that does not decode folded";
        EXPECT_EQ(runner.position(), position);
        EXPECT_EQ(projection_rows(queue), before)
            << "the failed page stayed applied in memory, try " << attempt;
    }
}

TEST_F(Projections, TheInboxListsMailThatWentNowhereAndFollowsItsAnswer) {
    set_now("2026-11-24T10:00:00+09:00");
    auto ingest = [&](const std::string& raw) {
        auto outcome = intake_->ingest(raw, "imap");
        EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        now_ms_ += 60'000;
    };
    ingest(build_mail("news@example.jp", "Newsletter", "news@x", "", "hello"));
    paired("form@example.jp");
    ingest(build_mail("koho@sakura-hp.example.jp", encoded_word("PR 動画利用申請", "UTF-8"),
                      "forgot@x", "Content-Type: text/plain; charset=utf-8\r\n", ""));
    ingest("Auto-Submitted: auto-replied\r\n" +
           build_mail("koho@sakura-hp.example.jp", encoded_word("PR 動画利用申請", "UTF-8"),
                      "vacation@x", "Content-Type: text/plain; charset=utf-8\r\n", ""));
    // The SMTP server is down: the answer waits for its next attempt.
    mail::OutboxOptions down;
    down.smtp.url = "smtp://127.0.0.1:" + std::to_string(testing::free_tcp_port());
    mail::MailOutbox outbox(*store_, *vault_, down, clock());
    ASSERT_EQ(outbox.deliver_due()->failed, 1);
    // (After the outbox pass, so its answer stays queued.) Intake's detail of this refusal quotes
    // the attachment's content type, which the sender chose: it must not reach the inbox.
    ingest(build_mail("yamada@example.jp", encoded_word("PR 動画利用申請", "UTF-8"), "pdf@x",
                      "Content-Type: text/plain; charset=us-ascii\r\n", "",
                      {{.filename_header = "filename=\"form.pdf\"",
                        .content_type = "application/x-yamada-taro",
                        .bytes = "%PDF-1.4 not an office file"}}));

    InboxProjection inbox;
    ProjectionRunner runner(*store_, inbox);
    ASSERT_TRUE(runner.catch_up().is_ok());
    auto entries = inbox.entries();
    ASSERT_EQ(entries.size(), 4u);  // newest first; the paired form and password are not here
    EXPECT_EQ(entries[0].reason, "attachment_not_office");
    EXPECT_EQ(entries[0].answer, "queued");
    EXPECT_EQ(entries[1].kind, "refused");
    EXPECT_EQ(entries[1].reason, "no_attachment");
    EXPECT_EQ(entries[1].answer, "automatic_mail");
    EXPECT_EQ(entries[2].reason, "no_attachment");
    EXPECT_EQ(entries[2].answer, "retrying");
    EXPECT_FALSE(entries[2].answer_next_attempt_at.empty());
    EXPECT_EQ(entries[3].kind, "unrelated");
    EXPECT_EQ(entries[3].source, "imap");
    for (const auto& entry : entries) {
        const std::string row = *inbox.row(entry.id);
        EXPECT_EQ(row.find("koho"), std::string::npos) << row;  // no personal data in rows
        EXPECT_EQ(row.find("news@"), std::string::npos) << row;
        EXPECT_EQ(row.find("yamada"), std::string::npos) << row;
    }

    // The outbox's MailSent in the same stream: the answer is sent.
    ASSERT_TRUE(store_
                    ->append(entries[2].id, ExpectedVersion::any(),
                             {domain::new_event(domain::MailSent{entries[2].answer_mail_id, 2, ""},
                                                {.actor = "system"})})
                    .is_ok());
    ASSERT_TRUE(runner.catch_up().is_ok());
    EXPECT_EQ(inbox.entries()[2].answer, "sent");
    InboxProjection rebuilt;
    ASSERT_TRUE(rebuild_projection(*store_, rebuilt, store_->head()).is_ok());
    EXPECT_EQ(projection_rows(inbox), projection_rows(rebuilt));
    InboxProjection reloaded;
    ProjectionRunner reload(*store_, reloaded);
    ASSERT_TRUE(reload.load().is_ok());
    EXPECT_EQ(projection_rows(reloaded), projection_rows(rebuilt));
}

TEST_F(Projections, RowsOfAnOlderFormatAreReplacedByAFoldFromTheStart) {
    const auto application = paired("format@example.jp");
    {
        QueueProjection first(config_);
        ProjectionRunner runner(*store_, first);
        ASSERT_TRUE(runner.catch_up().is_ok());
    }
    auto* family = database_->family(projection_family("queue"));
    ASSERT_TRUE(database_->db()->Put(rocksdb::WriteOptions(), family, "zz-old", "{}").ok());
    ASSERT_TRUE(
        database_->db()
            ->Put(rocksdb::WriteOptions(), database_->meta(), "projection:queue:format", "1")
            .ok());
    QueueProjection refolded(config_);
    ProjectionRunner runner(*store_, refolded);
    ASSERT_TRUE(runner.load().is_ok());  // "zz-old" would not parse as a row: it is not read
    EXPECT_EQ(runner.stored_format(), 1);
    EXPECT_EQ(runner.position().value, 0u);
    ASSERT_TRUE(runner.catch_up().is_ok());
    std::string value;
    EXPECT_TRUE(
        database_->db()->Get(rocksdb::ReadOptions(), family, "zz-old", &value).IsNotFound());
    ASSERT_TRUE(database_->db()->Get(rocksdb::ReadOptions(), family, application, &value).ok());
    EXPECT_EQ(value, *refolded.row(application));
    ASSERT_TRUE(
        database_->db()
            ->Get(rocksdb::ReadOptions(), database_->meta(), "projection:queue:format", &value)
            .ok());
    EXPECT_EQ(value, std::to_string(refolded.row_format()));
    QueueProjection reloaded(config_);
    ProjectionRunner again(*store_, reloaded);
    ASSERT_TRUE(again.load().is_ok());
    EXPECT_EQ(again.stored_format(), refolded.row_format());
    EXPECT_EQ(projection_rows(reloaded), projection_rows(refolded));
}

TEST_F(Projections, AChangedStoredRowIsDetectedByComparisonWithARebuild) {
    const auto application = paired("tamper@example.jp");
    QueueProjection live(config_);
    ProjectionRunner runner(*store_, live);
    ASSERT_TRUE(runner.catch_up().is_ok());
    // Someone edits the stored row behind kakitome's back.
    auto row = json::parse(database_->db() ? *live.row(application) : "");
    row["state"] = "url_issued";
    ASSERT_TRUE(database_->db()
                    ->Put(rocksdb::WriteOptions(), database_->family(projection_family("queue")),
                          application, row.dump())
                    .ok());
    // The production comparison catches it: `kakitome replay` exits 1 naming the row.
    close();
    int exit_code = -1;
    const auto verdict =
        testing::run_command(std::string(KAKITOME_BINARY) + " replay --projection queue --data " +
                                 directory_.string() + " 2>&1",
                             &exit_code);
    EXPECT_EQ(exit_code, 1) << verdict;
    const auto report = json::parse(verdict, nullptr, false);
    ASSERT_TRUE(report.is_object()) << verdict;
    EXPECT_EQ(report["identical"], false);
    EXPECT_EQ(report["differing"], json::array({application}));
}

// Issue 14 §1.4: rows deleted from the disclosure index silently vanished from who-saw. The
// index is compared with a rebuild like every other projection.
TEST_F(Projections, ARowDeletedFromTheDisclosureIndexIsFoundByReplay) {
    const auto application = paired("seen@example.jp");
    const domain::PiiDisclosed disclosed{.principal = "sato",
                                         .role = "operator",
                                         .request_id = "req-1",
                                         .endpoint = "GET /v1/applications/{id}",
                                         .remote = "192.0.2.1",
                                         .applications = {application},
                                         .fields_shown = {"organization"}};
    ASSERT_TRUE(store_
                    ->append(domain::disclosure_stream("sato"), ExpectedVersion::any(),
                             {domain::new_event(disclosed)})
                    .is_ok());
    ASSERT_TRUE(services_->worker().refresh().is_ok());
    DisclosureIndex index(*store_);
    auto seen = index.who_saw(application);
    ASSERT_TRUE(seen.is_ok());
    ASSERT_EQ(seen->size(), 1u);
    const auto replay = [&](int* exit_code) {
        return testing::run_command(std::string(KAKITOME_BINARY) +
                                        " replay --projection disclosures --compare --data " +
                                        directory_.string() + " 2>/dev/null",
                                    exit_code);
    };
    close();
    int exit_code = -1;
    auto untouched = json::parse(replay(&exit_code), nullptr, false);
    EXPECT_EQ(exit_code, 0) << untouched;
    EXPECT_EQ(untouched["identical"], true) << untouched;
    open();
    // The attacker removes the who-saw entry of this application (the one key under its
    // prefix: "a", the application, NUL, then the disclosure's seq and time).
    const std::string prefix = "a" + application + '\0';
    std::string key;
    {
        std::unique_ptr<rocksdb::Iterator> entries(database_->db()->NewIterator(
            rocksdb::ReadOptions(), database_->family(kDisclosuresFamily)));
        entries->Seek(prefix);
        ASSERT_TRUE(entries->Valid());
        key = entries->key().ToString();
        ASSERT_EQ(key.compare(0, prefix.size(), prefix), 0);
        entries->Next();
        ASSERT_TRUE(!entries->Valid() || !entries->key().starts_with(prefix));
    }
    ASSERT_TRUE(database_->db()
                    ->Delete(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), key)
                    .ok());
    EXPECT_TRUE(DisclosureIndex(*store_).who_saw(application)->empty());
    close();
    auto tampered = json::parse(replay(&exit_code), nullptr, false);
    EXPECT_EQ(exit_code, 1) << tampered;
    ASSERT_TRUE(tampered.is_object());
    EXPECT_EQ(tampered["identical"], false);
    std::string printed = "a" + application + "\\x00";
    for (std::size_t i = prefix.size(); i < key.size(); ++i) {  // as `replay` prints keys
        const auto c = static_cast<unsigned char>(key[i]);
        char byte[8];
        std::snprintf(byte, sizeof byte, "\\x%02x", c);
        printed += (c >= 0x20 && c < 0x7f && c != '\\') ? std::string(1, key[i]) : byte;
    }
    EXPECT_EQ(tampered["differing"], json::array({printed})) << tampered;
}

// An upcaster may split one stored event into several; they all carry the stored event's stream
// version. The queue folds each of them (docs/design.md §9): exactly-once delivery is the
// runner's position, not a version guard in the projection.
TEST_F(Projections, TheQueueFoldsEveryEventASplitGivesUnderOneStreamVersion) {
    QueueProjection queue(config_);
    ChangedRows changed;
    const auto event_at = [&](std::uint64_t version, const NewEvent& pending) {
        RecordedEvent event;
        event.seq = Seq{version};
        event.stream = domain::application_stream("split");
        event.version = StreamVersion{version};
        event.type = pending.type;
        event.schema = pending.schema;
        event.payload_json = pending.payload_json;
        event.at = "2026-11-26T09:00:00.000Z";
        return event;
    };
    ASSERT_TRUE(
        queue
            .apply(event_at(1, domain::new_event(domain::FormMailReceived{.pii_sealed = "s"})),
                   changed)
            .is_ok());
    // Both halves of one stored event at version 2.
    ASSERT_TRUE(
        queue
            .apply(event_at(2, domain::new_event(domain::PasswordMailReceived{.message_id = "p"})),
                   changed)
            .is_ok());
    ASSERT_TRUE(
        queue
            .apply(event_at(2, domain::new_event(domain::MailsPaired{.order = "form_first"})),
                   changed)
            .is_ok());
    const auto* record = queue.record("split");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(domain::state_name(record->state), "password_received");
    EXPECT_EQ(record->version.value, 2u);
}

TEST_F(Projections, DirectoryOpensPiiOnlyWhenRead) {
    const auto application = paired("koho@sakura-hp.example.jp");
    DirectoryProjection directory;
    ProjectionRunner runner(*store_, directory);
    ASSERT_TRUE(runner.catch_up().is_ok());
    const std::string stored = *directory.row(application);
    EXPECT_EQ(stored.find("sakura"), std::string::npos) << "rows hold sealed PII only";
    const auto entry = directory.read(application, *vault_);
    ASSERT_TRUE(entry.is_ok());
    EXPECT_EQ(entry->organization, "医療法人社団 桜会 さくら病院");
    EXPECT_EQ(entry->contact_email, "koho@sakura-hp.example.jp");
    EXPECT_EQ(directory.read("unknown", *vault_).status().code(), StatusCode::not_found);
}

}  // namespace
}  // namespace kakitome
