#include "events/log_table_rewrite.h"

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "events/log_table_format.h"
#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

// One table file of the log: where its keys start and end, how large it is, and its format.
struct LogTable {
    std::string file;  // the file's name, e.g. "000123.sst"
    std::string smallest_key;
    std::string largest_key;
    std::uint64_t bytes = 0;
    bool current_format = false;
};

std::string file_name_of(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

Result<std::vector<LogTable>> log_tables_of(const Database& database) {
    rocksdb::TablePropertiesCollection properties;
    if (auto read = database.db()->GetPropertiesOfAllTables(database.events(), &properties);
        !read.ok())
        return from_rocksdb(read, "reading the log's table properties");
    std::map<std::string, bool> current_format_of;
    for (const auto& [path, table] : properties)
        current_format_of[file_name_of(path)] = is_in_current_log_format(*table);

    rocksdb::ColumnFamilyMetaData family;
    database.db()->GetColumnFamilyMetaData(database.events(), &family);
    std::vector<LogTable> tables;
    for (const auto& level : family.levels) {
        for (const auto& file : level.files) {
            LogTable table{.file = file_name_of(file.name),
                           .smallest_key = file.smallestkey,
                           .largest_key = file.largestkey,
                           .bytes = file.size};
            // A table compacted away between the two calls is gone; one written between them is
            // counted as it was last read, never as current without its properties.
            const auto known = current_format_of.find(table.file);
            table.current_format = known != current_format_of.end() && known->second;
            tables.push_back(std::move(table));
        }
    }
    std::sort(tables.begin(), tables.end(), [](const LogTable& left, const LogTable& right) {
        return left.smallest_key < right.smallest_key;
    });
    return tables;
}

}  // namespace

Result<LogTableSurvey> survey_log_tables(const Database& database) {
    auto tables = log_tables_of(database);
    if (!tables.is_ok()) return tables.status();
    LogTableSurvey survey;
    for (const auto& table : tables.value()) {
        ++survey.tables;
        survey.bytes += table.bytes;
        if (table.current_format) continue;
        ++survey.older_tables;
        survey.older_bytes += table.bytes;
    }
    return survey;
}

Result<LogTableRewriteProgress> rewrite_older_log_tables(
    const Database& database,
    const std::function<void(const LogTableRewriteProgress&)>& after_each_table) {
    if (database.read_only()) return Status::failed_precondition("the database is open read-only");
    auto tables = log_tables_of(database);
    if (!tables.is_ok()) return tables.status();
    std::vector<LogTable> older;
    for (auto& table : tables.value())
        if (!table.current_format) older.push_back(std::move(table));

    LogTableRewriteProgress progress;
    progress.tables_to_rewrite = older.size();
    for (const auto& table : older) progress.bytes_to_rewrite += table.bytes;

    // One manual compaction over each table's keys. kForce makes RocksDB rewrite a table even on
    // the last level, where it otherwise leaves a table that has nothing to merge with; the
    // tables of a level hold disjoint keys, so each compaction reads this table alone (plus, from
    // upper levels, whatever overlaps it), and writes it in the family's current options.
    rocksdb::CompactRangeOptions compaction;
    compaction.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    // RocksDB's own compactions go on meanwhile: a server writing beside the rewrite is not held.
    compaction.exclusive_manual_compaction = false;
    for (const auto& table : older) {
        const rocksdb::Slice begin(table.smallest_key);
        const rocksdb::Slice end(table.largest_key);
        if (auto compacted =
                database.db()->CompactRange(compaction, database.events(), &begin, &end);
            !compacted.ok())
            return from_rocksdb(compacted, "rewriting the log's table " + table.file);
        ++progress.tables_rewritten;
        progress.bytes_rewritten += table.bytes;
        if (after_each_table) after_each_table(progress);
    }

    auto after = survey_log_tables(database);
    if (!after.is_ok()) return after.status();
    if (after->older_tables > 0)
        return Status::internal(std::to_string(after->older_tables) +
                                " of the log's tables are still in an older format after "
                                "rewriting " +
                                std::to_string(progress.tables_rewritten));
    return progress;
}

}  // namespace kakitome
