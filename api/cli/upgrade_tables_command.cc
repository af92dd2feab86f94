// kakitome upgrade-tables --dry-run [--data DIR]
// kakitome upgrade-tables [--data DIR]
//
// Rewrites the log's table files that an older kakitome wrote (without the format's stamp: 4 KiB
// blocks before 2026-11-29, or 16 KiB blocks from the day's build before the stamp)
// in the current table format (16 KiB blocks: whole passes over the log, such as a verifying
// replay or a projection's first fold, read about 1.5x faster; docs/operations.md). The events do
// not change: the command prints the head before and after, and `kakitome verify` proves the chain.
// --dry-run changes nothing and works beside a running server: one JSON line saying how many
// tables, and bytes, are in an older format. Without it the server must be stopped; progress goes
// to stderr after each table, the result to stdout as one JSON line. Stopped half way, the log is
// whole and a second run goes on. Exit 0 done, 2 bad flags, 4 the store failed.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "events/base/sha256.h"
#include "events/database.h"
#include "events/event_store.h"
#include "events/log_table_format.h"
#include "events/log_table_rewrite.h"

namespace kakitome::cli {

namespace {

int usage() {
    std::fprintf(stderr, "usage: kakitome upgrade-tables [--dry-run] [--data DIR]\n");
    return kExitBadInput;
}

int report_failure(const std::string& directory, const Status& status) {
    if (is_locked_by_another_process(status)) {
        std::fprintf(stderr,
                     "kakitome upgrade-tables: %s is in use by another process (a running "
                     "`kakitome serve`?): stop the server first (--dry-run works beside it)\n",
                     directory.c_str());
    } else {
        std::fprintf(stderr, "kakitome upgrade-tables: %s\n", status.to_string().c_str());
    }
    return kExitStoreError;
}

nlohmann::json survey_json(const LogTableSurvey& survey) {
    return {{"tables", survey.tables},
            {"bytes", survey.bytes},
            {"older_tables", survey.older_tables},
            {"older_bytes", survey.older_bytes},
            {"block_bytes", kLogBlockBytes}};
}

// The last event as the rewritten tables give it back: the rewrite must leave it as it was.
Result<nlohmann::json> head_json(const EventStore& store) {
    const Seq head = store.head();
    if (head.value == 0) return nlohmann::json{{"seq", 0}};
    auto last = store.read_event(head);
    if (!last.is_ok()) return last.status();
    return nlohmann::json{{"seq", head.value}, {"hash", to_hex(last->hash)}};
}

std::string megabytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

}  // namespace

int run_upgrade_tables(const Words& words) {
    auto arguments = Arguments::parse(words, {"data"}, {"dry-run"});
    if (!arguments.is_ok() || !arguments->positionals().empty()) return usage();
    const std::string directory = arguments->value_or("data", kDefaultDataDirectory);
    const bool dry_run = arguments->has("dry-run");
    if (!std::filesystem::exists(std::filesystem::path(directory) / "CURRENT")) {
        std::fprintf(stderr, "kakitome upgrade-tables: no kakitome data in %s\n",
                     directory.c_str());
        return kExitStoreError;
    }
    // A dry run opens a secondary, which writes nothing to the directory (an open for writing
    // would replay the WAL into a table and write an options file), with a server or without.
    auto database = Database::open({.directory = directory, .read_only = dry_run});
    if (!database.is_ok()) return report_failure(directory, database.status());

    auto before = survey_log_tables(*database.value());
    if (!before.is_ok()) return report_failure(directory, before.status());
    if (dry_run) {
        auto answer = survey_json(before.value());
        answer["dry_run"] = true;
        std::printf("%s\n", answer.dump().c_str());
        return kExitOk;
    }

    auto store = EventStore::open(database.value());
    if (!store.is_ok()) return report_failure(directory, store.status());
    auto head_before = head_json(*store.value());
    if (!head_before.is_ok()) return report_failure(directory, head_before.status());
    std::fprintf(stderr, "kakitome upgrade-tables: %zu of %zu tables (%s of %s) to rewrite\n",
                 before->older_tables, before->tables, megabytes(before->older_bytes).c_str(),
                 megabytes(before->bytes).c_str());
    auto rewritten =
        rewrite_older_log_tables(*database.value(), [](const LogTableRewriteProgress& progress) {
            std::fprintf(stderr,
                         "kakitome upgrade-tables: %zu of %zu tables rewritten (%s of %s)\n",
                         progress.tables_rewritten, progress.tables_to_rewrite,
                         megabytes(progress.bytes_rewritten).c_str(),
                         megabytes(progress.bytes_to_rewrite).c_str());
        });
    if (!rewritten.is_ok()) return report_failure(directory, rewritten.status());
    auto after = survey_log_tables(*database.value());
    if (!after.is_ok()) return report_failure(directory, after.status());
    auto head_after = head_json(*store.value());
    if (!head_after.is_ok()) return report_failure(directory, head_after.status());
    if (head_after.value() != head_before.value()) {
        std::fprintf(stderr,
                     "kakitome upgrade-tables: the head changed during the rewrite: %s -> %s\n",
                     head_before->dump().c_str(), head_after->dump().c_str());
        return kExitStoreError;
    }
    auto answer = survey_json(after.value());
    answer["rewritten_tables"] = rewritten->tables_rewritten;
    answer["rewritten_bytes"] = rewritten->bytes_rewritten;
    answer["head"] = head_after.value();
    std::printf("%s\n", answer.dump().c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
