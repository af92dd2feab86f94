// DatabaseBatch: writes to any of the database's families, applied by Database::write() all
// together or not at all (one RocksDB WriteBatch). Families are named as Database::open was
// given them (storage_keys.h, a projection's family). Not thread-safe; cheap to build: keys and
// values are copied into one growing buffer and each family name is kept once, so an index
// page of thousands of rows costs a few allocations, not three per row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kakitome {

class DatabaseBatch {
  public:
    void put(std::string_view family, std::string_view key, std::string_view value) {
        add(Kind::put, family, key, value);
    }
    void erase(std::string_view family, std::string_view key) { add(Kind::erase, family, key, {}); }
    // Every key with from <= key < to (one range tombstone, however many keys it covers).
    void erase_range(std::string_view family, std::string_view from, std::string_view to) {
        add(Kind::erase_range, family, from, to);
    }
    bool empty() const { return operations_.empty(); }

  private:
    friend class Database;
    enum class Kind : std::uint8_t { put, erase, erase_range };
    struct Operation {
        Kind kind;
        std::uint32_t family;  // index into families_
        std::size_t key_offset, key_size, value_offset, value_size;
    };
    void add(Kind kind, std::string_view family, std::string_view key, std::string_view value) {
        std::size_t index = 0;
        while (index < families_.size() && families_[index] != family) ++index;
        if (index == families_.size()) families_.emplace_back(family);
        const std::size_t key_offset = bytes_.size();
        bytes_.append(key);
        const std::size_t value_offset = bytes_.size();
        bytes_.append(value);
        operations_.push_back({kind, static_cast<std::uint32_t>(index), key_offset, key.size(),
                               value_offset, value.size()});
    }
    std::string_view key(const Operation& operation) const {
        return std::string_view(bytes_).substr(operation.key_offset, operation.key_size);
    }
    std::string_view value(const Operation& operation) const {
        return std::string_view(bytes_).substr(operation.value_offset, operation.value_size);
    }

    std::vector<std::string> families_;
    std::vector<Operation> operations_;
    std::string bytes_;
};

}  // namespace kakitome
