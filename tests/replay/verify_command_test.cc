// Tamper test: flip one byte of one stored event directly in RocksDB; `kakitome verify` must
// exit 1 and name that seq. Runs the real binary.
#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <sys/wait.h>
#include "run_command.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "events/json_text.h"
#include "events/ledger.h"
#include "events/sha256.h"
#include "events/storage_keys.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

struct CommandResult {
    int exit_code;
    std::string output;
};

CommandResult run_verify(const std::filesystem::path& directory) {
    CommandResult result{};
    result.output = testing::run_command(
        std::string(KAKITOME_BINARY) + " verify --data " + directory.string() + " 2>&1",
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

TEST(VerifyCommand, MissingDirectoryIsAStoreError) {
    auto result = run_verify("/nonexistent/kakitome");
    EXPECT_EQ(result.exit_code, 4) << result.output;
}

}  // namespace
}  // namespace kakitome
