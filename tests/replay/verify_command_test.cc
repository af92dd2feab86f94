// Tamper test: flip one byte of one stored event directly in RocksDB; `kakitome verify` must
// exit 1 and name that seq. Runs the real binary.
#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <sys/wait.h>
#include "run_command.h"

#include <cstdio>

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
        std::vector<rocksdb::ColumnFamilyDescriptor> families;
        for (const char* name : {"default", "events", "streams", "meta", "blobs"}) {
            families.emplace_back(name, rocksdb::ColumnFamilyOptions());
        }
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

TEST(VerifyCommand, MissingDirectoryIsAStoreError) {
    auto result = run_verify("/nonexistent/kakitome");
    EXPECT_EQ(result.exit_code, 4) << result.output;
}

}  // namespace
}  // namespace kakitome
