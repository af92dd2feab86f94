// The erasure journal: every data key destroyed (crypto-shredding) is also written, as one
// line, to files kept apart from the data, so that restoring a backup taken before the erasure
// cannot make the erased data readable again: restore re-applies every journaled erasure the
// backup does not yet know (docs/operations.md, "Erasure survives restore").
//
// A line is JSON `{"key":"<data key name>","erased_at":<ms>}` ending in "\n". record() appends
// it to every file of the journal and fsyncs each before it returns; a file is created 0600
// (its directory fsynced too). The data key is destroyed only after record() succeeded, so a
// crash in between leaves a journaled erasure whose key still exists: applied again, which is
// harmless. read() skips a torn last line (a crash mid-append) and refuses any other malformed
// line. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome {

// The journal's file name, in the data directory and in a backup directory.
inline constexpr const char* kErasureJournalName = "erasures.journal";

struct JournaledErasure {
    std::string key;  // the data key's name: an application id, or evidence-<incident>
    std::int64_t erased_at_ms = 0;
};

class ErasureJournal {
  public:
    // `files`: at least one (the data directory's own); a backup directory's copy beside it.
    static Result<ErasureJournal> open(std::vector<std::filesystem::path> files);
    ErasureJournal(ErasureJournal&& other) noexcept : files_(std::move(other.files_)) {}

    Status record(std::string_view key, std::int64_t erased_at_ms);
    const std::vector<std::filesystem::path>& files() const { return files_; }

  private:
    explicit ErasureJournal(std::vector<std::filesystem::path> files) : files_(std::move(files)) {}
    std::vector<std::filesystem::path> files_;
    std::mutex mutex_;
};

// The erasures in one journal file, in the order written; an empty list when it does not exist.
// corruption (naming the line) for a malformed line other than a torn last one.
Result<std::vector<JournaledErasure>> read_erasure_journal(const std::filesystem::path& file);

// Appends to `destination` every erasure of `source` it lacks (same key), fsynced: a backup
// carries the data directory's journal to the backup directory's, in case an erasure was made
// by a process that did not know the backup directory.
Status merge_erasure_journal(const std::filesystem::path& source,
                             const std::filesystem::path& destination);

}  // namespace kakitome
