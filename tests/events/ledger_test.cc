// Ledger alone: the tree it keeps in the database gives the same roots and proofs as a tree built
// in memory from the log's event hashes; checkpoints are signed notes that open with the
// verifier key and no other; cutting twice with nothing new signs nothing new; a proof beyond
// the tree is refused; a stored node that no longer matches what was signed stops the next
// checkpoint (not_an_extension); and a reopened ledger continues from what it stored.
#include "events/ledger.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

#include "events/database_batch.h"
#include "events/test_store.h"
#include "events/tree_damage.h"

namespace kakitome {
namespace {

constexpr const char* kOrigin = "test.example/ledger";

std::array<std::uint8_t, 32> seed_of(std::uint8_t value) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(value);
    return seed;
}

class LedgerTest : public ::testing::Test {
  protected:
    void SetUp() override { open(); }
    void TearDown() override {
        close();
        std::filesystem::remove_all(directory_);
    }
    void open() {
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kMerkleFamily}})
                .value();
        store_ = EventStore::open(database_).value();
        ledger_ =
            Ledger::open(*store_, NoteSigner::from_seed(seed_of(7), kOrigin), kOrigin).value();
    }
    void close() {
        ledger_.reset();
        store_.reset();
        database_.reset();
    }
    void append(int count) {
        for (int i = 0; i < count; ++i) {
            ASSERT_TRUE(
                store_
                    ->append("s-" + std::to_string(i % 3), ExpectedVersion::any(),
                             {testing::event_of("Happened", "{\"i\":" + std::to_string(i) + "}")})
                    .is_ok());
        }
    }
    // The reference: a tree built in memory from the log's event hashes.
    merkle::MemoryTree reference() const {
        merkle::MemoryTree tree;
        const auto events = store_->read_all(Seq{1}, 100000);
        EXPECT_TRUE(events.is_ok());
        if (events.is_ok())
            for (const auto& event : events.value()) tree.append(merkle::leaf_hash(event.hash));
        return tree;
    }

    std::filesystem::path directory_ = testing::fresh_directory("ledger");
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, AnEmptyLedgerHasNoCheckpoint) {
    EXPECT_EQ(ledger_->size(), 0u);
    ASSERT_TRUE(ledger_->extend().is_ok());
    EXPECT_EQ(ledger_->size(), 0u);
    auto latest = ledger_->latest_checkpoint();
    ASSERT_TRUE(latest.is_ok());
    EXPECT_FALSE(latest->has_value());
}

TEST_F(LedgerTest, RootsAndProofsEqualATreeBuiltInMemory) {
    append(37);
    ASSERT_TRUE(ledger_->extend().is_ok());
    ASSERT_EQ(ledger_->size(), 37u);
    const auto tree = reference();
    for (std::uint64_t size : {1u, 2u, 5u, 16u, 17u, 37u}) {
        auto root = ledger_->root(size);
        ASSERT_TRUE(root.is_ok()) << size;
        EXPECT_EQ(root.value(), tree.root(size).value()) << size;
    }
    const auto events = store_->read_all(Seq{1}, 100).value();
    for (std::uint64_t seq : {1u, 2u, 16u, 17u, 37u}) {
        auto proof = ledger_->inclusion_proof(Seq{seq}, 37);
        ASSERT_TRUE(proof.is_ok()) << seq;
        EXPECT_TRUE(merkle::verify_inclusion(seq - 1, 37, merkle::leaf_hash(events[seq - 1].hash),
                                             proof.value(), tree.root(37).value())
                        .is_ok())
            << seq;
    }
    auto consistency = ledger_->consistency_proof(16, 37);
    ASSERT_TRUE(consistency.is_ok());
    EXPECT_TRUE(merkle::verify_consistency(16, 37, consistency.value(), tree.root(16).value(),
                                           tree.root(37).value())
                    .is_ok());
}

// Extension reads leaves straight from the stored records and writes each page's nodes level by
// level; across page boundaries and partial extensions the tree must stay the same.
TEST_F(LedgerTest, ATreeExtendedOverSeveralPagesHasTheRootsOfTheWholeLog) {
    constexpr int kEvents = 2 * static_cast<int>(kFollowerPageEvents) + 3001;
    std::vector<StreamAppend> parts;
    for (int i = 0; i < kEvents; ++i) {
        parts.push_back({"s-" + std::to_string(i),
                         ExpectedVersion::any(),
                         {testing::event_of("Happened", "{\"i\":" + std::to_string(i) + "}")}});
        if (parts.size() == 1000 || i + 1 == kEvents) {
            ASSERT_TRUE(store_->append_transaction(std::move(parts)).is_ok());
            parts.clear();
        }
        if (i == 12344) {
            ASSERT_TRUE(ledger_->extend().is_ok());  // 12,000 leaves: mid-page
        }
    }
    ASSERT_TRUE(ledger_->extend().is_ok());
    ASSERT_EQ(ledger_->size(), static_cast<std::uint64_t>(kEvents));
    const auto tree = reference();
    for (std::uint64_t size : {12345u, 16384u, 20000u, 20001u, static_cast<unsigned>(kEvents)}) {
        auto root = ledger_->root(size);
        ASSERT_TRUE(root.is_ok()) << size;
        EXPECT_EQ(root.value(), tree.root(size).value()) << size;
    }
    close();
    open();  // what was stored, not what was kept in memory
    EXPECT_EQ(ledger_->size(), static_cast<std::uint64_t>(kEvents));
    EXPECT_EQ(ledger_->root(kEvents).value(), tree.root(kEvents).value());
}

TEST_F(LedgerTest, AProofBeyondTheTreeIsRefused) {
    append(4);
    ASSERT_TRUE(ledger_->extend().is_ok());
    EXPECT_FALSE(ledger_->inclusion_proof(Seq{5}, 4).is_ok());
    EXPECT_FALSE(ledger_->inclusion_proof(Seq{1}, 5).is_ok());
    EXPECT_FALSE(ledger_->root(5).is_ok());
    EXPECT_FALSE(ledger_->consistency_proof(3, 5).is_ok());
}

TEST_F(LedgerTest, ACheckpointOpensWithItsVerifierKeyAndNoOther) {
    append(5);
    auto checkpoint = ledger_->cut_checkpoint();
    ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
    EXPECT_EQ(checkpoint->size, 5u);
    EXPECT_EQ(checkpoint->origin, kOrigin);
    EXPECT_EQ(checkpoint->root, reference().root(5).value());
    auto opened = open_checkpoint(checkpoint->note, ledger_->verifier_key());
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    EXPECT_EQ(opened->size, 5u);
    EXPECT_EQ(opened->root, checkpoint->root);
    const auto stranger = NoteSigner::from_seed(seed_of(8), kOrigin);
    EXPECT_FALSE(open_checkpoint(checkpoint->note, stranger.verifier_key()).is_ok());
    std::string altered = checkpoint->note;
    altered[altered.find('\n') + 1] = '6';  // claims a size of 6
    EXPECT_FALSE(open_checkpoint(altered, ledger_->verifier_key()).is_ok());
}

TEST_F(LedgerTest, CuttingAgainWithNothingNewSignsNothingNew) {
    append(3);
    auto first = ledger_->cut_checkpoint();
    ASSERT_TRUE(first.is_ok());
    auto again = ledger_->cut_checkpoint();
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(again->note, first->note);
    append(2);
    auto second = ledger_->cut_checkpoint();
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->size, 5u);
    auto all = ledger_->checkpoints();
    ASSERT_TRUE(all.is_ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].size, 3u);
    EXPECT_EQ((*all)[1].size, 5u);
    EXPECT_EQ(latest_checkpoint_size(*database_).value(), 5u);
}

TEST_F(LedgerTest, AStoredNodeThatNoLongerMatchesWhatWasSignedStopsTheNextCheckpoint) {
    append(4);
    ASSERT_TRUE(ledger_->cut_checkpoint().is_ok());
    // Damage the stored root of the signed tree (level 2, index 0: leaves 0..3) as someone with
    // the disk could; the tree grown from it would no longer extend what was signed.
    auto node = stored_tree_node(*database_, 2, 0);
    ASSERT_TRUE(node.is_ok());
    ASSERT_TRUE(node->has_value());
    testing::flip_stored_tree_node(database_->db(), database_->family(kMerkleFamily), 2, 0, 0,
                                   0x01);
    auto damaged = stored_tree_node(*database_, 2, 0);
    ASSERT_TRUE(damaged.is_ok() && damaged->has_value());
    ASSERT_NE(**damaged, **node);
    append(4);
    auto refused = ledger_->cut_checkpoint();
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().reason(), "not_an_extension") << refused.status().to_string();
}

TEST_F(LedgerTest, AReopenedLedgerContinuesFromWhatItStored) {
    append(6);
    ASSERT_TRUE(ledger_->cut_checkpoint().is_ok());
    close();
    open();
    EXPECT_EQ(ledger_->size(), 6u);
    append(3);
    auto checkpoint = ledger_->cut_checkpoint();
    ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
    EXPECT_EQ(checkpoint->size, 9u);
    EXPECT_EQ(checkpoint->root, reference().root(9).value());
}

}  // namespace
}  // namespace kakitome
