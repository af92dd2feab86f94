// Encrypted content-addressed blobs and the master key file.
#include "events/blob_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>

#include <fstream>

#include "events/base/sha256.h"
#include "events/master_key.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

using testing::TestStore;

TEST(MasterKey, CreatedOnceWithMode0600AndReloaded) {
    const auto directory = testing::fresh_directory("keys");
    const auto path = directory / "master.key";
    auto created = load_or_create_master_key(path);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto again = load_or_create_master_key(path);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(created.value(), again.value());
    ::chmod(path.c_str(), 0644);
    EXPECT_EQ(load_or_create_master_key(path).status().code(), StatusCode::permission_denied);
    std::filesystem::remove_all(directory);
}

TEST(BlobStore, StoresEncryptedAndDeduplicates) {
    TestStore t;
    AeadKey master{};
    master[0] = 7;
    BlobStore blobs(t.database, master);
    const std::string attachment = "PK\x03\x04 form bytes 申請書 " + std::string(10000, 'z');
    auto id = blobs.put(attachment);
    ASSERT_TRUE(id.is_ok());
    EXPECT_EQ(id.value(), to_hex(sha256(attachment)));
    EXPECT_EQ(blobs.put(attachment).value(), id.value());
    EXPECT_EQ(blobs.get(id.value()).value(), attachment);

    std::string stored;
    ASSERT_TRUE(t.database->db()
                    ->Get(rocksdb::ReadOptions(), t.database->blobs(), id.value(), &stored)
                    .ok());
    EXPECT_EQ(stored.find("form bytes"), std::string::npos) << "plaintext visible at rest";

    AeadKey other = master;
    other[0] = 8;
    BlobStore wrong_key(t.database, other);
    EXPECT_EQ(wrong_key.get(id.value()).status().code(), StatusCode::corruption);
    EXPECT_EQ(blobs.get(to_hex(sha256("absent"))).status().code(), StatusCode::not_found);
    EXPECT_EQ(blobs.get("not-an-id").status().code(), StatusCode::invalid_argument);
}

TEST(BlobStore, DetectsTamperedAndMovedBlobs) {
    TestStore t;
    AeadKey master{};
    BlobStore blobs(t.database, master);
    const std::string first_id = blobs.put("first attachment").value();
    const std::string second_id = blobs.put("second attachment").value();
    std::string stored;
    ASSERT_TRUE(
        t.database->db()->Get(rocksdb::ReadOptions(), t.database->blobs(), first_id, &stored).ok());
    // Moving a sealed blob under another id fails: the id is authenticated.
    ASSERT_TRUE(t.database->db()
                    ->Put(rocksdb::WriteOptions(), t.database->blobs(), second_id, stored)
                    .ok());
    EXPECT_EQ(blobs.get(second_id).status().code(), StatusCode::corruption);
    stored[stored.size() / 2] ^= 0x01;
    ASSERT_TRUE(
        t.database->db()->Put(rocksdb::WriteOptions(), t.database->blobs(), first_id, stored).ok());
    EXPECT_EQ(blobs.get(first_id).status().code(), StatusCode::corruption);
}

TEST(BlobStore, AnErasureCutShortBeforeItsCompactionIsFinished) {
    TestStore t;
    AeadKey master{};
    BlobStore blobs(t.database, master);
    std::string mail;
    for (int i = 0; i < 20000; ++i) mail += static_cast<char>((i * 7919) % 251);  // incompressible
    const std::string id = blobs.put(mail).value();
    const std::uint64_t with_the_mail = blobs.stored_bytes().value();
    ASSERT_GT(with_the_mail, 20000u);
    // What erase() writes first, and then a crash: the delete is in, the files still hold it.
    rocksdb::WriteBatch batch;
    batch.Put(t.database->blobs(), std::string(BlobStore::kErasurePendingKey), "1");
    batch.Delete(t.database->blobs(), id);
    ASSERT_TRUE(t.database->db()->Write(rocksdb::WriteOptions(), &batch).ok());
    EXPECT_FALSE(blobs.contains(id).value());
    EXPECT_GE(blobs.stored_bytes().value(), with_the_mail) << "the ciphertext is still on disk";
    ASSERT_TRUE(blobs.finish_interrupted_erasure().is_ok());
    EXPECT_LT(blobs.stored_bytes().value(), 20000u);
    std::string marker;
    EXPECT_TRUE(t.database->db()
                    ->Get(rocksdb::ReadOptions(), t.database->blobs(),
                          std::string(BlobStore::kErasurePendingKey), &marker)
                    .IsNotFound());
}

}  // namespace
}  // namespace kakitome
