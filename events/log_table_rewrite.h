// Rewriting the log's table files that an older kakitome wrote, into the current table format
// (events/log_table_format.h). Only the files change: every event, key and byte of the log reads
// back the same, and the hash chain with it. RocksDB writes the new files before it drops the old
// ones (one compaction per file), so a rewrite stopped half way (a crash, a kill) leaves a log
// that is whole, in both formats, and a second run goes on where the first stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

// The log's table files now, and those of them in an older format. A read-only (secondary)
// database can be surveyed: `kakitome upgrade-tables --dry-run` works beside a running server.
struct LogTableSurvey {
    std::size_t tables = 0;
    std::uint64_t bytes = 0;
    std::size_t older_tables = 0;
    std::uint64_t older_bytes = 0;
};
Result<LogTableSurvey> survey_log_tables(const Database& database);

// After each table rewritten: how far the rewrite has come, in tables and in their bytes before.
struct LogTableRewriteProgress {
    std::size_t tables_rewritten = 0;
    std::size_t tables_to_rewrite = 0;
    std::uint64_t bytes_rewritten = 0;
    std::uint64_t bytes_to_rewrite = 0;
};

// Rewrites every table of the log that is in an older format, oldest keys first, calling
// `after_each_table` after each; returns what it did. Tables in the current format are left as
// they are. Fails on a read-only database; other writers may go on meanwhile. internal when a
// table is still in an older format afterwards.
Result<LogTableRewriteProgress> rewrite_older_log_tables(
    const Database& database,
    const std::function<void(const LogTableRewriteProgress&)>& after_each_table);

}  // namespace kakitome
