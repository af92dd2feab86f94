// A log as an older kakitome left it: its tables in RocksDB's default 4 KiB blocks and without
// the current format's stamp (events/log_table_format.h). Rewrites a closed database's log with
// RocksDB directly, as the binary before 2026-11-29 would have written it, in tables of about
// `table_bytes` each so that a log of a few thousand events spans several tables.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "events/storage_keys.h"

namespace kakitome::testing {

// Opens every family of the closed database with RocksDB's default options (4 KiB blocks, no
// format stamp), `events_family` adjusted, as an older kakitome had them, and hands the log's
// family to `work`.
inline void with_the_log_as_an_older_kakitome_opened_it(
    const std::filesystem::path& directory,
    const std::function<void(rocksdb::ColumnFamilyOptions&)>& events_family,
    const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& work) {
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, directory.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) {
        rocksdb::ColumnFamilyOptions family;
        if (name == storage_keys::kEventsFamily) events_family(family);
        families.emplace_back(name, family);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, directory.string(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == storage_keys::kEventsFamily) work(*db, handles[i]);
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(db->Close().ok());
}

inline void write_log_as_an_older_kakitome_did(const std::filesystem::path& directory,
                                               std::uint64_t table_bytes = 64 * 1024) {
    with_the_log_as_an_older_kakitome_opened_it(
        directory,
        [&](rocksdb::ColumnFamilyOptions& family) { family.target_file_size_base = table_bytes; },
        [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
            ASSERT_TRUE(db.Flush(rocksdb::FlushOptions(), log).ok());
            rocksdb::CompactRangeOptions compaction;
            compaction.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
            ASSERT_TRUE(db.CompactRange(compaction, log, nullptr, nullptr).ok());
        });
}

// Writes every record of the log again, unchanged, into one table in level 0 as the older
// kakitome would have flushed it, over the tables already below: a log whose last flush an
// older kakitome made and no compaction has touched since.
inline void write_the_log_again_into_level_zero(const std::filesystem::path& directory) {
    with_the_log_as_an_older_kakitome_opened_it(
        directory,
        [](rocksdb::ColumnFamilyOptions& family) { family.disable_auto_compactions = true; },
        [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log) {
            std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), log));
            for (it->SeekToFirst(); it->Valid(); it->Next())
                ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), log, it->key(), it->value()).ok());
            ASSERT_TRUE(it->status().ok());
            it.reset();
            ASSERT_TRUE(db.Flush(rocksdb::FlushOptions(), log).ok());
        });
}

}  // namespace kakitome::testing
