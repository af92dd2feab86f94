// Stored projections: catch-up resumes from the stored position, folds nothing twice, and the
// stored rows equal a rebuild from seq 1 byte for byte; the queue orders by SLA due date.
#include "projections/directory_projection.h"
#include "projections/downloads_projection.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

#include "engine/workflow/workflow_fixture.h"
#include "run_command.h"

namespace kakitome {
namespace {

using nlohmann::json;

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
