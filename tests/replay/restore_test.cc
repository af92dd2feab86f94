// Backups and the restore that proves itself (replay/restore.h), below the command line: a
// backup restores to the same events; a checkpoint known from outside is judged consistent,
// ahead of the restore (a rollback) or forked (another history at a size the backup holds);
// a backup with events but no signed checkpoint, a known checkpoint under another key and a
// damaged backup file are refused, leaving nothing behind; erasures journaled after the backup
// are found; the journal survives a torn last line and refuses any other damage.
#include "replay/restore.h"

#include <gtest/gtest.h>

#include <fstream>

#include "events/data_key_vault.h"
#include "events/erasure_journal.h"
#include "events/ledger.h"
#include "events/storage_keys.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

constexpr const char* kOrigin = "test.example/ledger";

NoteSigner signer(std::uint8_t first) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = first;
    return NoteSigner::from_seed(seed, kOrigin);
}

AeadKey master() {
    AeadKey key{};
    key.fill(7);
    return key;
}

// One store with its ledger and vault, journaling erasures beside it and in `backups`.
struct Site {
    Site(const std::filesystem::path& home, const std::filesystem::path& backups,
         std::uint8_t key = 9)
        : directory(home) {
        database = Database::open({.directory = home,
                                   .extra_column_families = {kMerkleFamily, kDataKeysFamily}})
                       .value();
        store = EventStore::open(database, {.durability = Durability::buffered}).value();
        ledger = Ledger::open(*store, signer(key), kOrigin).value();
        vault =
            DataKeyVault::open(
                database, master(),
                ErasureJournal::open({home / kErasureJournalName, backups / kErasureJournalName})
                    .value())
                .value();
    }
    void append(int count, const std::string& salt = "") {
        for (int i = 0; i < count; ++i)
            ASSERT_TRUE(store
                            ->append("stream-" + std::to_string(i % 3), ExpectedVersion::any(),
                                     {testing::event_of(
                                         "Thing", R"({"n":")" + salt + std::to_string(i) + "\"}")})
                            .is_ok());
    }
    std::string checkpoint() { return ledger->cut_checkpoint().value().note; }
    std::filesystem::path directory;
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<Ledger> ledger;
    std::unique_ptr<DataKeyVault> vault;
};

class Restore : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = testing::fresh_directory("restore");
        std::filesystem::create_directories(root_);
        site_ = std::make_unique<Site>(root_ / "data", backups());
    }
    void TearDown() override {
        site_.reset();
        std::filesystem::remove_all(root_);
    }
    std::filesystem::path backups() const { return root_ / "backups"; }
    RestoreRequest request(std::vector<std::string> known = {}) const {
        return {.backup_directory = backups(),
                .staging = root_ / "staging",
                .origin = kOrigin,
                .verifier_key = signer(9).verifier_key(),
                .master_key = master(),
                .known_checkpoints = std::move(known)};
    }
    BackupInfo back_up() { return create_backup(*site_->database, backups(), "{}", 2).value(); }

    std::filesystem::path root_;
    std::unique_ptr<Site> site_;
};

TEST_F(Restore, ABackupRestoresAndEveryKnownCheckpointIsJudged) {
    site_->append(20);
    const std::string at_backup = site_->checkpoint();
    ASSERT_TRUE(site_->vault->create("A-1").is_ok());
    ASSERT_TRUE(site_->vault->create("A-2").is_ok());
    back_up();
    // After the backup: more events and a checkpoint the world saw, and one erasure.
    site_->append(10);
    const std::string later = site_->checkpoint();
    ASSERT_TRUE(site_->vault->destroy("A-2").is_ok());
    // Another history at the backup's size, signed with the same key.
    Site fork(root_ / "fork", root_ / "fork-backups");
    fork.append(20, "other");
    const std::string forked = fork.checkpoint();

    auto proof = restore_and_prove(request({at_backup, later, forked}));
    ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
    EXPECT_TRUE(proof->verified.intact());
    EXPECT_TRUE(proof->verified.signatures_checked);
    EXPECT_EQ(proof->verified.head.value, 20u);
    EXPECT_EQ(proof->checkpoint_size, 20u);
    ASSERT_EQ(proof->known.size(), 3u);
    EXPECT_EQ(proof->known[0].verdict, KnownCheckpointCheck::Verdict::consistent);
    EXPECT_EQ(proof->known[1].verdict, KnownCheckpointCheck::Verdict::ahead_of_restore);
    EXPECT_EQ(proof->known[2].verdict, KnownCheckpointCheck::Verdict::forked);
    ASSERT_TRUE(proof->rollback());
    EXPECT_EQ(proof->rollback()->size, 30u);
    EXPECT_TRUE(proof->forked());
    EXPECT_EQ(proof->erased_after_backup, std::vector<std::string>{"A-2"});
    EXPECT_TRUE(std::filesystem::exists(root_ / "staging" / "CURRENT"));
}

TEST_F(Restore, OnlyTheConsistentIsNeitherRollbackNorFork) {
    site_->append(5);
    const std::string note = site_->checkpoint();
    back_up();
    auto proof = restore_and_prove(request({note}));
    ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
    EXPECT_FALSE(proof->rollback());
    EXPECT_FALSE(proof->forked());
    EXPECT_TRUE(proof->erased_after_backup.empty());
}

TEST_F(Restore, EventsWithoutASignedCheckpointAreRefusedAndNothingStays) {
    site_->append(5);
    back_up();
    auto proof = restore_and_prove(request());
    ASSERT_FALSE(proof.is_ok());
    EXPECT_EQ(proof.status().reason(), "restore_unsigned");
    EXPECT_FALSE(std::filesystem::exists(root_ / "staging"));
}

TEST_F(Restore, ABackupOfATamperedStoreIsRefused) {
    site_->append(8);
    site_->checkpoint();
    // One stored event rewritten in place (a byte of its payload changed).
    auto stored = site_->database->get(storage_keys::kEventsFamily, storage_keys::event_key(3));
    ASSERT_TRUE(stored.is_ok() && stored.value());
    std::string changed = *stored.value();
    const auto at = changed.find("\"n\":\"");
    ASSERT_NE(at, std::string::npos);
    changed[at + 5] = changed[at + 5] == '1' ? '2' : '1';
    DatabaseBatch batch;
    batch.put(storage_keys::kEventsFamily, storage_keys::event_key(3), changed);
    ASSERT_TRUE(site_->database->write(batch).is_ok());
    back_up();
    auto proof = restore_and_prove(request());
    ASSERT_FALSE(proof.is_ok());
    EXPECT_EQ(proof.status().reason(), "restore_not_intact") << proof.status().to_string();
    EXPECT_FALSE(std::filesystem::exists(root_ / "staging"));
}

TEST_F(Restore, AKnownCheckpointUnderAnotherKeyIsRefused) {
    site_->append(5);
    site_->checkpoint();
    back_up();
    Site other(root_ / "other", root_ / "other-backups", 3);
    other.append(5);
    auto proof = restore_and_prove(request({other.checkpoint()}));
    ASSERT_FALSE(proof.is_ok());
    EXPECT_EQ(proof.status().reason(), "bad_known_checkpoint");
    EXPECT_FALSE(std::filesystem::exists(root_ / "staging"));
}

TEST_F(Restore, ADamagedBackupFileIsCaughtByItsChecksum) {
    site_->append(50);
    site_->checkpoint();
    back_up();
    bool damaged = false;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(backups())) {
        if (entry.path().extension() != ".sst") continue;
        std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(10);
        file.put('\x5a');
        damaged = true;
        break;
    }
    ASSERT_TRUE(damaged);
    EXPECT_FALSE(verify_backup(backups(), list_backups(backups()).value().back().id).is_ok());
    EXPECT_FALSE(restore_and_prove(request()).is_ok());
    EXPECT_FALSE(std::filesystem::exists(root_ / "staging"));
}

TEST_F(Restore, BackupsBeyondKeepAreDeleted) {
    for (int i = 0; i < 4; ++i) {
        site_->append(1, std::to_string(i));
        back_up();
    }
    const auto listed = list_backups(backups()).value();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed.back().id, 4u);
}

TEST(ErasureJournalFile, ATornLastLineIsSkippedAnyOtherDamageIsRefused) {
    const auto directory = testing::fresh_directory("journal");
    std::filesystem::create_directories(directory);
    const auto file = directory / "erasures.journal";
    std::ofstream(file) << "{\"key\":\"A-1\",\"erased_at\":5}\n{\"key\":\"A-2\",\"era";
    auto read = read_erasure_journal(file);
    ASSERT_TRUE(read.is_ok());
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(read->front().key, "A-1");
    // The next erasure after the crash: the torn line is cut, not glued to.
    ASSERT_TRUE(ErasureJournal::open({file}).value().record("A-3", 7).is_ok());
    read = read_erasure_journal(file);
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    ASSERT_EQ(read->size(), 2u);
    EXPECT_EQ(read->back().key, "A-3");
    std::ofstream(file) << "{\"key\":\"A-1\",\"erased_at\":5}\nnot json\n";
    EXPECT_EQ(read_erasure_journal(file).status().reason(), "bad_erasure_journal");

    // Merging carries what the destination lacks, once.
    std::ofstream(file) << "{\"key\":\"A-1\",\"erased_at\":5}\n{\"key\":\"A-2\",\"erased_at\":6}\n";
    const auto copy = directory / "copy.journal";
    std::ofstream(copy) << "{\"key\":\"A-1\",\"erased_at\":5}\n";
    ASSERT_TRUE(merge_erasure_journal(file, copy).is_ok());
    ASSERT_TRUE(merge_erasure_journal(file, copy).is_ok());
    const auto merged = read_erasure_journal(copy).value();
    ASSERT_EQ(merged.size(), 2u);
    EXPECT_EQ(merged[1].key, "A-2");
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace kakitome
