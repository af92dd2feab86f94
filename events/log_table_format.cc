#include "events/log_table_format.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include <memory>
#include <string>

namespace kakitome {

namespace {

const std::string kBlockBytesProperty = "kakitome.log.block-bytes";
const std::string kBlockBytesValue = std::to_string(kLogBlockBytes);

// Stamps each table with the block size of the format it is written in; reads nothing of the rows.
class FormatStamp final : public rocksdb::TablePropertiesCollector {
  public:
    rocksdb::Status AddUserKey(const rocksdb::Slice&, const rocksdb::Slice&, rocksdb::EntryType,
                               rocksdb::SequenceNumber, std::uint64_t) override {
        return rocksdb::Status::OK();
    }
    rocksdb::Status Finish(rocksdb::UserCollectedProperties* properties) override {
        properties->insert({kBlockBytesProperty, kBlockBytesValue});
        return rocksdb::Status::OK();
    }
    rocksdb::UserCollectedProperties GetReadableProperties() const override {
        return {{kBlockBytesProperty, kBlockBytesValue}};
    }
    const char* Name() const override { return "kakitome.LogFormatStamp"; }
};

class FormatStampFactory final : public rocksdb::TablePropertiesCollectorFactory {
  public:
    rocksdb::TablePropertiesCollector* CreateTablePropertiesCollector(
        rocksdb::TablePropertiesCollectorFactory::Context) override {
        return new FormatStamp();
    }
    const char* Name() const override { return "kakitome.LogFormatStamp"; }
};

}  // namespace

// 16 KiB blocks, `kakitome bench incident --events 1000000`, runs alternated in one hour: raw
// iteration 1.43-1.53M -> 2.33-2.39M events/s, a verifying replay 0.78-0.93M -> 1.04-1.22M (in
// nine runs of eleven), the benchmark's database 307 -> 270 MB (docs/performance.md, "The log in
// 16 KiB blocks"). A point read of one event that misses the block cache decompresses four times
// the bytes.
void use_log_table_format(rocksdb::ColumnFamilyOptions& options,
                          rocksdb::BlockBasedTableOptions table) {
    table.block_size = kLogBlockBytes;
    // One index per table, not partitions: a pass walks every block, and the two-level index
    // made raw iteration of the log 8-10% slower (2.40-2.52M against 2.61-2.75M events/s, runs
    // alternated, docs/performance.md). With 16 KiB blocks and 8-byte keys the log's index is
    // small (about 60 KiB per 64 MiB table) and lives in the block cache like the others'.
    table.index_type = rocksdb::BlockBasedTableOptions::kBinarySearch;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    options.table_properties_collector_factories.push_back(std::make_shared<FormatStampFactory>());
}

bool is_in_current_log_format(const rocksdb::TableProperties& table) {
    const auto stamp = table.user_collected_properties.find(kBlockBytesProperty);
    return stamp != table.user_collected_properties.end() && stamp->second == kBlockBytesValue;
}

}  // namespace kakitome
