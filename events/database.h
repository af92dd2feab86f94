// Database owns one RocksDB instance and its column families: the store's four (events, streams,
// meta, blobs) plus any a projection asks for. Open it once per process and share it.
// Thread-safe: RocksDB handles are safe for concurrent use. Read-only mode lets `kakitome verify`
// inspect a directory while a server has it open.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "events/domain_types.h"
#include "events/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace kakitome {

struct DatabaseOptions {
    std::filesystem::path directory;
    bool read_only = false;
    std::vector<std::string> extra_column_families;  // created when missing
};

class Database {
public:
    static Result<std::shared_ptr<Database>> open(const DatabaseOptions& options);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    rocksdb::DB* db() const { return db_; }
    // nullptr when the family was not opened.
    rocksdb::ColumnFamilyHandle* family(std::string_view name) const;
    rocksdb::ColumnFamilyHandle* events() const { return events_; }
    rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
    rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
    rocksdb::ColumnFamilyHandle* blobs() const { return blobs_; }
    bool read_only() const { return read_only_; }
    const std::filesystem::path& directory() const { return directory_; }

private:
    Database() = default;
    rocksdb::DB* db_ = nullptr;
    std::vector<std::pair<std::string, rocksdb::ColumnFamilyHandle*>> families_;
    rocksdb::ColumnFamilyHandle* events_ = nullptr;
    rocksdb::ColumnFamilyHandle* streams_ = nullptr;
    rocksdb::ColumnFamilyHandle* meta_ = nullptr;
    rocksdb::ColumnFamilyHandle* blobs_ = nullptr;
    bool read_only_ = false;
    std::filesystem::path directory_;
};

}  // namespace kakitome
