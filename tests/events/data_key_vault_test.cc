// DataKeyVault alone: one key per application, made once; what is sealed for one application
// opens only with that application's key; the wrapped key on disk is not the key and cannot be
// moved to another application; a vault opened with another master key opens nothing; erasure
// leaves a tombstone that says "erased" (not "never existed") and takes the sealed data with it.
#include "events/data_key_vault.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "events/database_batch.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

AeadKey key_of(std::uint8_t value) {
    AeadKey key{};
    key.fill(value);
    return key;
}

class Vault : public ::testing::Test {
  protected:
    void SetUp() override {
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kDataKeysFamily}})
                .value();
        vault_ = DataKeyVault::open(database_, key_of(1), journal()).value();
    }
    void TearDown() override {
        vault_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    ErasureJournal journal() const {
        return ErasureJournal::open({directory_ / "erasures.journal"}).value();
    }
    std::string stored(const std::string& application) const {
        return database_->get(kDataKeysFamily, application).value().value_or("");
    }

    std::filesystem::path directory_ = testing::fresh_directory("vault");
    std::shared_ptr<Database> database_;
    std::unique_ptr<DataKeyVault> vault_;
};

TEST_F(Vault, ADatabaseWithoutTheFamilyIsRefused) {
    auto bare = Database::open({.directory = testing::fresh_directory("bare")}).value();
    EXPECT_EQ(DataKeyVault::open(bare, key_of(1), journal()).status().code(),
              StatusCode::invalid_argument);
}

TEST_F(Vault, EachApplicationHasOneKeyMadeOnce) {
    EXPECT_EQ(vault_->get("a1").status().code(), StatusCode::not_found);
    auto first = vault_->create("a1");
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(vault_->create("a1").value(), first.value());
    EXPECT_EQ(vault_->get("a1").value(), first.value());
    EXPECT_NE(vault_->create("a2").value(), first.value());
}

TEST_F(Vault, WhatIsSealedForOneApplicationOpensOnlyForIt) {
    auto sealed = vault_->seal("a1", "{\"organization\":\"さくら病院\"}");
    ASSERT_TRUE(sealed.is_ok());
    EXPECT_EQ(sealed->find("さくら"), std::string::npos);
    EXPECT_EQ(vault_->open_sealed("a1", sealed.value()).value(),
              "{\"organization\":\"さくら病院\"}");
    ASSERT_TRUE(vault_->create("a2").is_ok());
    EXPECT_FALSE(vault_->open_sealed("a2", sealed.value()).is_ok());
    std::string flipped = sealed.value();
    flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(vault_->open_sealed("a1", flipped).is_ok());
    EXPECT_FALSE(vault_->open_sealed("a1", "not base64 !").is_ok());
}

TEST_F(Vault, TheWrappedKeyIsNotTheKeyAndBelongsToItsApplication) {
    const AeadKey key = vault_->create("a1").value();
    const std::string wrapped = stored("a1");
    EXPECT_EQ(wrapped.find(std::string(reinterpret_cast<const char*>(key.data()), key.size())),
              std::string::npos);
    // Moved under another application's name, it does not unwrap: the name is bound to it.
    DatabaseBatch batch;
    batch.put(kDataKeysFamily, "a2", wrapped);
    ASSERT_TRUE(database_->write(batch).is_ok());
    EXPECT_EQ(vault_->get("a2").status().code(), StatusCode::corruption);
}

TEST_F(Vault, AVaultWithAnotherMasterKeyOpensNothing) {
    auto sealed = vault_->seal("a1", "secret").value();
    auto other = DataKeyVault::open(database_, key_of(2), journal()).value();
    EXPECT_EQ(other->get("a1").status().code(), StatusCode::corruption);
    EXPECT_FALSE(other->open_sealed("a1", sealed).is_ok());
}

TEST_F(Vault, ErasureLeavesATombstoneAndTakesTheSealedDataWithIt) {
    auto sealed = vault_->seal("a1", "secret").value();
    ASSERT_TRUE(vault_->destroy("a1").is_ok());
    auto erased = vault_->get("a1");
    EXPECT_EQ(erased.status().code(), StatusCode::unavailable);
    EXPECT_EQ(erased.status().reason(), "erased");
    EXPECT_EQ(vault_->open_sealed("a1", sealed).status().reason(), "erased");
    // create() does not bring an erased application's key back.
    EXPECT_EQ(vault_->create("a1").status().reason(), "erased");
    EXPECT_EQ(vault_->seal("a1", "again").status().reason(), "erased");
    // Another application is untouched.
    auto kept = vault_->seal("a2", "kept").value();
    EXPECT_EQ(vault_->open_sealed("a2", kept).value(), "kept");
}

// Erasure survives restore only if every destroyed key is journaled outside the data first.
TEST_F(Vault, DestroyJournalsTheErasureBeforeTheKeyGoes) {
    ASSERT_TRUE(vault_->create("A-1").is_ok());
    ASSERT_TRUE(vault_->destroy("A-1").is_ok());
    auto journaled = read_erasure_journal(directory_ / "erasures.journal").value();
    ASSERT_EQ(journaled.size(), 1u);
    EXPECT_EQ(journaled[0].key, "A-1");
    EXPECT_GT(journaled[0].erased_at_ms, 0);
    EXPECT_FALSE(vault_->is_live("A-1").value());
}

TEST_F(Vault, AJournalThatCannotBeWrittenKeepsTheKey) {
    ASSERT_TRUE(vault_->create("A-1").is_ok());
    auto unwritable =
        DataKeyVault::open(database_, key_of(1),
                           ErasureJournal::open({directory_ / "no" / "journal"}).value())
            .value();
    EXPECT_FALSE(unwritable->destroy("A-1").is_ok());
    EXPECT_TRUE(vault_->is_live("A-1").value());
}

}  // namespace
}  // namespace kakitome
