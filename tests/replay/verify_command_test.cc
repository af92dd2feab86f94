// Tamper test: flip one byte of one stored event directly in RocksDB; `kakitome verify` must
// exit 1 and name that seq. Runs the real binary.
#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <sys/wait.h>
#include "run_command.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "events/base/json_text.h"
#include "events/base/sha256.h"
#include "events/ledger.h"
#include "events/storage_keys.h"
#include "events/test_store.h"
#include "events/tree_damage.h"
#include "replay/store_verifier.h"

namespace kakitome {
namespace {

struct CommandResult {
    int exit_code;
    std::string output;
};

CommandResult run_verify(const std::filesystem::path& directory, const std::string& flags = "") {
    CommandResult result{};
    result.output = testing::run_command(std::string(KAKITOME_BINARY) + " verify --data " +
                                             directory.string() + " " + flags + " 2>&1",
                                         &result.exit_code);
    return result;
}

// Opens RocksDB itself, bypassing kakitome, as an attacker with disk access would.
class RawDatabase {
  public:
    explicit RawDatabase(const std::filesystem::path& directory) {
        // Every family on disk must be opened: kakitome's five first (handles_[1..3] are events,
        // streams, meta), then any other (merkle, projections).
        std::vector<std::string> names = {"default", "events", "streams", "meta", "blobs"};
        std::vector<std::string> existing;
        (void)rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory.string(), &existing);
        for (const auto& name : existing)
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        std::vector<rocksdb::ColumnFamilyDescriptor> families;
        for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
        rocksdb::DB* raw = nullptr;
        EXPECT_TRUE(
            rocksdb::DB::Open(rocksdb::DBOptions(), directory.string(), families, &handles_, &raw)
                .ok());
        db_.reset(raw);
    }
    ~RawDatabase() {
        for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
    }
    void flip_byte(std::uint64_t seq, std::size_t position) {
        std::string value;
        ASSERT_TRUE(
            db_->Get(rocksdb::ReadOptions(), handles_[1], storage_keys::event_key(seq), &value)
                .ok());
        value[position % value.size()] ^= 0x01;
        ASSERT_TRUE(
            db_->Put(rocksdb::WriteOptions(), handles_[1], storage_keys::event_key(seq), value)
                .ok());
    }
    std::string get(std::uint64_t seq) {
        std::string value;
        EXPECT_TRUE(
            db_->Get(rocksdb::ReadOptions(), handles_[1], storage_keys::event_key(seq), &value)
                .ok());
        return value;
    }
    void put(std::uint64_t seq, const std::string& value) {
        ASSERT_TRUE(
            db_->Put(rocksdb::WriteOptions(), handles_[1], storage_keys::event_key(seq), value)
                .ok());
    }
    // Points the stream index entry of event `seq` at event `elsewhere`, leaving the log intact.
    void point_stream_index_elsewhere(std::uint64_t seq, std::uint64_t elsewhere) {
        const auto envelope = nlohmann::json::parse(get(seq).substr(32));
        ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), handles_[2],
                             storage_keys::stream_key(envelope["stream"].get<std::string>(),
                                                      envelope["version"].get<std::uint64_t>()),
                             storage_keys::big_endian(elsewhere))
                        .ok());
    }
    // Rewrites an event's payload as a forger with disk access would: canonical bytes and hash
    // recomputed, so the event is self-consistent; only the chain can tell.
    void forge(std::uint64_t seq, const std::string& payload_json) {
        const std::string stored = get(seq);
        auto envelope = nlohmann::json::parse(stored.substr(32));
        envelope["payload"] = nlohmann::json::parse(payload_json);
        const std::string canonical = canonicalize_json(envelope.dump()).value();
        const auto hash = sha256(canonical);
        put(seq, std::string(hash.begin(), hash.end()) + canonical);
    }
    // Cuts the log after `last`: the events, their stream-index rows and the head, all made to
    // agree, as the attacker of issue 14 did.
    void truncate_after(std::uint64_t last, std::uint64_t head) {
        for (std::uint64_t seq = last + 1; seq <= head; ++seq) {
            const auto envelope = nlohmann::json::parse(get(seq).substr(32));
            ASSERT_TRUE(
                db_->Delete(rocksdb::WriteOptions(), handles_[2],
                            storage_keys::stream_key(envelope["stream"].get<std::string>(),
                                                     envelope["version"].get<std::uint64_t>()))
                    .ok());
            remove(seq);
        }
        const std::string stored = get(last);
        ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), handles_[3],
                             std::string(storage_keys::kMetaHead),
                             storage_keys::big_endian(last) + stored.substr(0, 32))
                        .ok());
    }
    // Flips a bit of one stored Merkle node (level, index), as the attacker of issue 14 did.
    void corrupt_tree_node(unsigned level, std::uint64_t index) {
        testing::flip_stored_tree_node(db_.get(), family(kMerkleFamily), level, index, 5, 0x20);
    }
    rocksdb::ColumnFamilyHandle* family(const std::string& name) {
        for (auto* handle : handles_)
            if (handle->GetName() == name) return handle;
        ADD_FAILURE() << "no column family " << name;
        return handles_[0];
    }
    void remove(std::uint64_t seq) {
        ASSERT_TRUE(
            db_->Delete(rocksdb::WriteOptions(), handles_[1], storage_keys::event_key(seq)).ok());
    }

  private:
    std::vector<rocksdb::ColumnFamilyHandle*> handles_;
    std::unique_ptr<rocksdb::DB> db_;
};

void fill(const std::filesystem::path& directory, int count) {
    auto database = Database::open({.directory = directory}).value();
    auto store = EventStore::open(database).value();
    for (int i = 0; i < count; ++i) {
        auto appended =
            store->append("application-" + std::to_string(i % 4), ExpectedVersion::any(),
                          {NewEvent{.type = "FormMailReceived",
                                    .payload_json = R"({"message_id":"<m)" + std::to_string(i) +
                                                    R"(@example.jp>","組織":"さくら病院"})"}});
        ASSERT_TRUE(appended.is_ok());
    }
}

TEST(VerifyCommand, IntactStoreExitsZero) {
    const auto directory = testing::fresh_directory("intact");
    fill(directory, 30);
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("intact: 30 events"), std::string::npos) << result.output;
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, FlippedByteAnywhereIsNamedBySeq) {
    // Seqs at the start, middle and end; bytes in the stored hash, the JSON, and the last byte.
    for (std::uint64_t seq : {1u, 17u, 30u}) {
        for (std::size_t position : {0ul, 31ul, 32ul, 90ul, 150ul, static_cast<std::size_t>(-1)}) {
            SCOPED_TRACE("seq " + std::to_string(seq) + " byte " + std::to_string(position));
            const auto directory = testing::fresh_directory("tamper");
            fill(directory, 30);
            { RawDatabase(directory).flip_byte(seq, position); }
            auto result = run_verify(directory);
            EXPECT_EQ(result.exit_code, 1) << result.output;
            EXPECT_NE(result.output.find("first bad seq " + std::to_string(seq) + ":"),
                      std::string::npos)
                << result.output;
            std::filesystem::remove_all(directory);
        }
    }
}

TEST(VerifyCommand, DeletedEventIsAGap) {
    const auto directory = testing::fresh_directory("gap");
    fill(directory, 10);
    { RawDatabase(directory).remove(5); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 5:"), std::string::npos) << result.output;
    std::filesystem::remove_all(directory);
}

// The mutant "the verifier skips the prev_hash check" survived every earlier tamper test: they
// flipped bytes or deleted rows, so the hash or gap check fired first. A forged event whose hash
// is recomputed is caught only by the next event's prev_hash.
TEST(VerifyCommand, AForgedEventWithARecomputedHashBreaksTheChainAtTheNextEvent) {
    const auto directory = testing::fresh_directory("forged");
    fill(directory, 10);
    { RawDatabase(directory).forge(5, R"({"message_id":"<forged@example.jp>"})"); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 6: prev_hash does not match the hash of seq 5"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, SwappedEventsAreNamed) {
    const auto directory = testing::fresh_directory("swapped");
    fill(directory, 10);
    {
        RawDatabase raw(directory);
        const std::string third = raw.get(3), fourth = raw.get(4);
        raw.put(3, fourth);
        raw.put(4, third);
    }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 3: envelope says seq 4"), std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

// Issue 14: deleting the last events, their stream-index rows and fixing the head passed
// verify. A log shorter than a checkpoint the store signed is tampered.
TEST(VerifyCommand, ALogCutBelowASignedCheckpointIsTampered) {
    const auto directory = testing::fresh_directory("truncated");
    fill(directory, 10);
    {
        auto database =
            Database::open({.directory = directory, .extra_column_families = {kMerkleFamily}})
                .value();
        auto store = EventStore::open(database).value();
        std::array<std::uint8_t, 32> seed{};
        auto ledger = Ledger::open(*store, NoteSigner::from_seed(seed, "test.example/ledger"),
                                   "test.example/ledger")
                          .value();
        ASSERT_TRUE(ledger->cut_checkpoint().is_ok());
    }
    EXPECT_EQ(run_verify(directory).exit_code, 0);
    { RawDatabase(directory).truncate_after(8, 10); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("a checkpoint was signed at size 10 but the log ends at seq 8"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

// The ledger of `directory` with the tests' signing key (seed 0).
struct TestLedger {
    explicit TestLedger(const std::filesystem::path& directory)
        : database(
              Database::open({.directory = directory, .extra_column_families = {kMerkleFamily}})
                  .value()),
          store(EventStore::open(database).value()),
          ledger(Ledger::open(*store, NoteSigner::from_seed(seed(0), "test.example/ledger"),
                              "test.example/ledger")
                     .value()) {}
    static std::array<std::uint8_t, 32> seed(std::uint8_t first) {
        std::array<std::uint8_t, 32> bytes{};
        bytes[0] = first;
        return bytes;
    }
    void append(int count) {
        for (int i = 0; i < count; ++i)
            ASSERT_TRUE(store
                            ->append("application-late", ExpectedVersion::any(),
                                     {testing::event_of("FormMailReceived", R"({"n":1})")})
                            .is_ok());
    }
    std::shared_ptr<Database> database;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<Ledger> ledger;
};

// Issue 14 §1.3: a corrupted Merkle node passed verify, and later checkpoints were signed over
// the wrong root. verify recomputes the tree from the events.
TEST(VerifyCommand, ACorruptedMerkleNodeIsNamed) {
    const auto directory = testing::fresh_directory("node");
    fill(directory, 8);
    { ASSERT_TRUE(TestLedger(directory).ledger->extend().is_ok()); }
    EXPECT_EQ(run_verify(directory).exit_code, 0);
    { RawDatabase(directory).corrupt_tree_node(1, 2); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 6: the stored Merkle node at level 1 index 2 "
                                 "(events 5–6) does not match the events"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

// The tree is stored in strips of 256 nodes and verify reads each strip once as it walks: a node
// past the first strip of its level is compared with its own stored hash, not another's.
TEST(VerifyCommand, ACorruptedMerkleNodeBeyondTheFirstStripIsNamed) {
    const auto directory = testing::fresh_directory("node-in-a-later-strip");
    fill(directory, 600);
    { ASSERT_TRUE(TestLedger(directory).ledger->extend().is_ok()); }
    EXPECT_EQ(run_verify(directory).exit_code, 0);
    { RawDatabase(directory).corrupt_tree_node(0, 300); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 301: the stored Merkle node at level 0 index 300 "
                                 "(events 301–301) does not match the events"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

// Every event is looked up in its stream's index, which must point back at it. The lookups run in
// batches on a second thread while the scan goes on (VerifyOptions::index_batch_events): an entry
// in a full batch, in the last partial batch, and one earlier than a break the scan finds later
// are each named, by the binary (one batch of 65,536 here) and with batches of 1,000.
TEST(VerifyCommand, AStreamIndexEntryPointingElsewhereIsNamedWhereverItIs) {
    const auto directory = testing::fresh_directory("stream-index");
    fill(directory, 9000);
    EXPECT_EQ(run_verify(directory).exit_code, 0);
    const auto named = [&](std::uint64_t seq) {
        auto result = run_verify(directory);
        EXPECT_EQ(result.exit_code, 1) << result.output;
        EXPECT_NE(
            result.output.find("first bad seq " + std::to_string(seq) + ": stream index for "),
            std::string::npos)
            << result.output;
        auto database = Database::open({.directory = directory, .read_only = true});
        ASSERT_TRUE(database.is_ok()) << database.status().to_string();
        auto report = verify_store(*database.value(), {.index_batch_events = 1000});
        ASSERT_TRUE(report.is_ok()) << report.status().to_string();
        ASSERT_TRUE(report->first_break.has_value()) << "batches of 1,000, seq " << seq;
        EXPECT_EQ(report->first_break->seq, Seq{seq}) << report->first_break->reason;
        EXPECT_EQ(report->events_checked, seq - 1);
    };
    // The binary's one batch, partial; with batches of 1,000 the last one, full and still being
    // checked when the scan ends.
    { RawDatabase(directory).point_stream_index_elsewhere(8999, 3); }
    named(8999);
    {
        RawDatabase(directory).point_stream_index_elsewhere(5000, 4);
    }  // a full batch, not the first
    named(5000);
    // A later break the scan itself finds, while (with batches of 1,000) the batch ending at 5000
    // is still being checked.
    { RawDatabase(directory).flip_byte(5500, 60); }
    named(5000);
    { RawDatabase(directory).point_stream_index_elsewhere(100, 5); }  // the first batch
    named(100);
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, ACheckpointSignedOverACorruptedTreeIsNamedEvenWhenTheNodeIsRepaired) {
    const auto directory = testing::fresh_directory("wrong-root");
    fill(directory, 8);
    std::string corrupted_node;
    {
        TestLedger ledger(directory);
        ASSERT_TRUE(ledger.ledger->cut_checkpoint().is_ok());
        ledger.append(2);
        ASSERT_TRUE(ledger.ledger->extend().is_ok());
    }
    // The new right edge (events 9–10) is corrupted before the next checkpoint: the signer's
    // consistency check cannot see it (the signed tree of 8 is untouched), so it signs.
    { RawDatabase(directory).corrupt_tree_node(1, 4); }
    { ASSERT_TRUE(TestLedger(directory).ledger->cut_checkpoint().is_ok()); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 10: the stored Merkle node at level 1 index 4"),
              std::string::npos)
        << result.output;
    // Put the node back: the checkpoint still carries the wrong root.
    { RawDatabase(directory).corrupt_tree_node(1, 4); }
    result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("first bad seq 10: the checkpoint signed at size 10 has a root "
                                 "that is not the root of the first 10 events"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, ATreeLongerThanTheLogIsTampered) {
    const auto directory = testing::fresh_directory("tree-longer");
    fill(directory, 10);
    { ASSERT_TRUE(TestLedger(directory).ledger->extend().is_ok()); }
    { RawDatabase(directory).truncate_after(8, 10); }
    auto result = run_verify(directory);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("the ledger's tree has 10 leaves but the log ends at seq 8"),
              std::string::npos)
        << result.output;
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, CheckpointSignaturesAreCheckedWithAKeyAndTheReportSaysWhatWasNot) {
    const auto directory = testing::fresh_directory("signatures");
    fill(directory, 12);
    std::string key;
    {
        TestLedger ledger(directory);
        ASSERT_TRUE(ledger.ledger->cut_checkpoint().is_ok());
        key = ledger.ledger->verifier_key();
    }
    auto unkeyed = run_verify(directory);
    EXPECT_EQ(unkeyed.exit_code, 0) << unkeyed.output;
    EXPECT_NE(unkeyed.output.find("1 checkpoint roots recomputed from the events; checkpoint "
                                  "signatures not checked"),
              std::string::npos)
        << unkeyed.output;
    EXPECT_NE(unkeyed.output.find("not checked: the projections (queue, directory, downloads, "
                                  "disclosures, inbox, incidents)"),
              std::string::npos)
        << unkeyed.output;
    auto keyed = run_verify(directory, "--pubkey " + key);
    EXPECT_EQ(keyed.exit_code, 0) << keyed.output;
    EXPECT_NE(keyed.output.find("checkpoint signatures verified with the key given"),
              std::string::npos)
        << keyed.output;
    const std::string other =
        NoteSigner::from_seed(TestLedger::seed(7), "test.example/ledger").verifier_key();
    auto wrong = run_verify(directory, "--pubkey " + other);
    EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
    EXPECT_NE(wrong.output.find("first bad seq 12: the checkpoint stored at size 12 does not "
                                "verify with the key given"),
              std::string::npos)
        << wrong.output;
    std::filesystem::remove_all(directory);
}

TEST(VerifyCommand, MissingDirectoryIsAStoreError) {
    auto result = run_verify("/nonexistent/kakitome");
    EXPECT_EQ(result.exit_code, 4) << result.output;
}

}  // namespace
}  // namespace kakitome
