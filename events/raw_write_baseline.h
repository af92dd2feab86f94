// RawWriteBaseline: bare RocksDB (default column family, the store's DBOptions, no envelope,
// no hashing, no index), the floor `kakitome bench append` measures the event store against.
// It lives here so that only events/ knows RocksDB. Thread-safe, as RocksDB's DB is.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome {

class RawWriteBaseline {
  public:
    static Result<std::unique_ptr<RawWriteBaseline>> open(const std::filesystem::path& directory);
    ~RawWriteBaseline();
    // One WriteBatch putting `value` under each key; `sync` fsyncs the WAL before returning, as
    // Durability::sync. Views, so that the baseline pays for no copies kakitome would not.
    bool write(const std::vector<std::string_view>& keys, std::string_view value, bool sync);

  private:
    struct Impl;
    explicit RawWriteBaseline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kakitome
