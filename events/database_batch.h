// DatabaseBatch: writes to any of the database's families, applied by Database::write() all
// together or not at all (one RocksDB WriteBatch). Families are named as Database::open was
// given them (storage_keys.h, a projection's family). Not thread-safe; cheap to build.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kakitome {

class DatabaseBatch {
  public:
    void put(std::string_view family, std::string_view key, std::string_view value) {
        operations_.push_back(
            {Kind::put, std::string(family), std::string(key), std::string(value)});
    }
    void erase(std::string_view family, std::string_view key) {
        operations_.push_back({Kind::erase, std::string(family), std::string(key), {}});
    }
    bool empty() const { return operations_.empty(); }

  private:
    friend class Database;
    enum class Kind { put, erase };
    struct Operation {
        Kind kind;
        std::string family, key, value;
    };
    std::vector<Operation> operations_;
};

}  // namespace kakitome
