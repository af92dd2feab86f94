// A reader for the Compound File Binary format (MS-CFB) that holds encrypted Office documents:
// 512- and 4096-byte sectors, FAT with DIFAT chains, MiniFAT and mini stream, directory tree.
// Untrusted input: every sector number is range-checked, every chain is checked for loops and
// for a length that matches the stream size, the directory tree is checked for cycles, and the
// work done is bounded by the file size. Failures are invalid_argument with reason
// "bad_container". The parsed object borrows the bytes it was given; keep them alive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome::office {

struct CompoundFileEntry {
    std::string name;  // UTF-8
    bool is_stream = false;
    std::uint64_t size = 0;
};

class CompoundFile {
  public:
    static Result<CompoundFile> parse(std::string_view bytes);

    // Entries directly under the root storage.
    const std::vector<CompoundFileEntry>& root_entries() const { return root_entries_; }
    // A stream directly under the root, matched case-insensitively as MS-CFB compares names.
    Result<std::string> read_root_stream(std::string_view name) const;

    // True when the bytes start with the CFB signature.
    static bool has_signature(std::string_view bytes);

  private:
    struct DirectoryEntry {
        std::u16string name;
        std::uint8_t type = 0;
        std::uint32_t left = 0, right = 0, child = 0, start = 0;
        std::uint64_t size = 0;
    };

    Result<std::string> read_chain(std::uint32_t start, std::uint64_t size, bool mini) const;
    Status load_fat();
    Status load_directory();
    Status load_mini_stream();
    Status collect_root_children();

    std::string_view bytes_;
    std::uint32_t sector_size_ = 512;
    std::uint32_t mini_sector_size_ = 64;
    std::uint32_t mini_cutoff_ = 4096;
    std::uint32_t sector_count_ = 0;  // sectors present in the file after the header
    std::uint32_t first_directory_sector_ = 0, first_mini_fat_sector_ = 0, mini_fat_sectors_ = 0;
    std::uint32_t first_difat_sector_ = 0, difat_sectors_ = 0, fat_sectors_ = 0;
    std::vector<std::uint32_t> fat_;
    std::vector<std::uint32_t> mini_fat_;
    std::string mini_stream_;
    std::vector<DirectoryEntry> directory_;
    std::vector<CompoundFileEntry> root_entries_;
    std::vector<std::uint32_t> root_entry_ids_;
};

}  // namespace kakitome::office
