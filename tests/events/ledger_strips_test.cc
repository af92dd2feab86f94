// The tree as the ledger lays it out: strips of 256 nodes (events/tree_strips.h), grown in place,
// and long extensions hashed on two threads in chunks of 2^16 leaves (events/subtree_pipeline.h).
// Whatever the path, the stored tree gives the roots and proofs of a tree built in memory from
// the decoded events' hashes; a missing event stops a long extension at the last whole chunk,
// with the size stored never ahead of the nodes; and a tree stored one node per key (before
// strips) is still read, and grows in strips that keep its nodes.
#include "events/ledger.h"

#include <gtest/gtest.h>

#include <random>

#include <rocksdb/db.h>

#include "events/database_batch.h"
#include "events/storage_keys.h"
#include "events/subtree_pipeline.h"
#include "events/test_store.h"
#include "events/tree_strips.h"

namespace kakitome {
namespace {

class LedgerStripsTest : public ::testing::Test {
  protected:
    void SetUp() override { open(); }
    void TearDown() override {
        ledger_.reset();
        store_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    void open() {
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kMerkleFamily}})
                .value();
        store_ = EventStore::open(database_, {.durability = Durability::buffered}).value();
        ledger_ = Ledger::open(*store_, std::nullopt, "test.example/strips").value();
    }
    void append(std::uint64_t count) {
        while (count > 0) {
            const std::uint64_t batch = std::min<std::uint64_t>(count, 1000);
            std::vector<NewEvent> events;
            for (std::uint64_t i = 0; i < batch; ++i)
                events.push_back(testing::event_of(
                    "Happened", "{\"i\":" + std::to_string(store_->head().value + i) + "}"));
            ASSERT_TRUE(store_
                            ->append("s-" + std::to_string(store_->head().value % 7),
                                     ExpectedVersion::any(), std::move(events))
                            .is_ok());
            count -= batch;
        }
    }
    // The reference, from the decoded events rather than the stored bytes the ledger reads.
    merkle::MemoryTree reference() const {
        merkle::MemoryTree tree;
        for (Seq from{1}; from.value <= store_->head().value;) {
            const auto events = store_->read_all(from, 10000);
            EXPECT_TRUE(events.is_ok());
            if (!events.is_ok() || events->empty()) break;
            for (const auto& event : events.value()) tree.append(merkle::leaf_hash(event.hash));
            from = Seq{events->back().seq.value + 1};
        }
        return tree;
    }
    void expect_same_tree(const merkle::MemoryTree& memory, std::uint64_t size,
                          std::vector<std::uint64_t> sizes) {
        ASSERT_EQ(ledger_->size(), size);
        for (std::uint64_t at : sizes) {
            auto stored_root = ledger_->root(at);
            ASSERT_TRUE(stored_root.is_ok()) << stored_root.status().to_string();
            EXPECT_EQ(stored_root.value(), memory.root(at).value()) << "root at size " << at;
        }
        const merkle::Hash root = memory.root(size).value();
        std::mt19937_64 random(7);
        auto leaves = memory.nodes();
        for (int i = 0; i < 40; ++i) {
            const std::uint64_t leaf = random() % size;
            auto proof = ledger_->inclusion_proof(Seq{leaf + 1}, size);
            ASSERT_TRUE(proof.is_ok());
            EXPECT_TRUE(
                merkle::verify_inclusion(leaf, size, leaves(0, leaf).value(), *proof, root).is_ok())
                << "leaf " << leaf;
        }
        for (std::uint64_t first : sizes) {
            if (first == 0 || first >= size) continue;
            auto proof = ledger_->consistency_proof(first, size);
            ASSERT_TRUE(proof.is_ok());
            EXPECT_TRUE(
                merkle::verify_consistency(first, size, *proof, memory.root(first).value(), root)
                    .is_ok())
                << first << " to " << size;
        }
    }

    std::filesystem::path directory_ = testing::fresh_directory("ledger-strips");
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerStripsTest, ALongExtensionOnTwoThreadsGivesTheTreeBuiltInMemory) {
    // 1,000 leaves one by one, then: leaf by leaf to the first chunk boundary, chunks 1 and 2
    // on the workers, and the tail leaf by leaf again.
    append(1000);
    ASSERT_TRUE(ledger_->extend().is_ok());
    const std::uint64_t size = 3 * kSubtreeLeaves + 777;
    append(size - 1000);
    auto extended = ledger_->extend();
    ASSERT_TRUE(extended.is_ok()) << extended.to_string();
    expect_same_tree(reference(), size,
                     {1, 255, 256, 257, 1000, kSubtreeLeaves - 1, kSubtreeLeaves,
                      kSubtreeLeaves + 1, 2 * kSubtreeLeaves, 3 * kSubtreeLeaves, size - 1, size});
    // Reopened, the ledger reads what it stored.
    ledger_.reset();
    ledger_ = Ledger::open(*store_, std::nullopt, "test.example/strips").value();
    expect_same_tree(reference(), size, {1000, 3 * kSubtreeLeaves});
}

TEST_F(LedgerStripsTest, AMissingEventStopsALongExtensionAtTheLastWholeChunk) {
    append(3 * kSubtreeLeaves + 5);
    DatabaseBatch removal;
    removal.erase(storage_keys::kEventsFamily, storage_keys::event_key(kSubtreeLeaves + 100));
    ASSERT_TRUE(database_->write(removal).is_ok());
    auto extended = ledger_->extend();
    ASSERT_FALSE(extended.is_ok());
    EXPECT_EQ(extended.code(), StatusCode::corruption) << extended.to_string();
    EXPECT_NE(extended.message().find(std::to_string(kSubtreeLeaves + 100)), std::string::npos)
        << extended.to_string();
    // Chunk 0 was written with its size; nothing of chunk 1 counts.
    EXPECT_EQ(ledger_->size(), kSubtreeLeaves);
    EXPECT_EQ(stored_tree_size(*database_).value(), kSubtreeLeaves);
    EXPECT_TRUE(stored_tree_node(*database_, kSubtreeLevel, 0).value().has_value());
}

TEST_F(LedgerStripsTest, ATreeStoredOneNodePerKeyIsReadAndGrowsInStrips) {
    append(300);
    // The layout before strips: every complete subtree under its own key, and the size.
    const merkle::MemoryTree before = reference();
    DatabaseBatch legacy;
    for (unsigned level = 0; (300u >> level) != 0; ++level)
        for (std::uint64_t index = 0; index < (300u >> level); ++index) {
            const merkle::Hash node = before.nodes()(level, index).value();
            legacy.put(kMerkleFamily, tree_strips::single_node_key(level, index),
                       std::string_view(reinterpret_cast<const char*>(node.data()), node.size()));
        }
    legacy.put(storage_keys::kMetaFamily, "ledger:size", "300");
    ASSERT_TRUE(database_->write(legacy).is_ok());
    ledger_.reset();
    ledger_ = Ledger::open(*store_, std::nullopt, "test.example/strips").value();
    expect_same_tree(before, 300, {1, 256, 299, 300});

    append(400);
    ASSERT_TRUE(ledger_->extend().is_ok());
    expect_same_tree(reference(), 700, {1, 256, 300, 512, 699, 700});
    // Strip 1 of the leaves now holds leaves 256..511, the first 44 copied from their own keys.
    std::string strip;
    ASSERT_TRUE(
        database_->db()
            ->Get({}, database_->family(kMerkleFamily), tree_strips::strip_key(0, 1), &strip)
            .ok());
    ASSERT_EQ(strip.size(), tree_strips::kStripWidth * sizeof(merkle::Hash));
    const merkle::Hash leaf_256 = before.nodes()(0, 256).value();
    EXPECT_EQ(strip.substr(0, 32),
              std::string(reinterpret_cast<const char*>(leaf_256.data()), leaf_256.size()));
}

}  // namespace
}  // namespace kakitome
