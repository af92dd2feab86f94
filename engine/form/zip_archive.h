// Reading entries of an untrusted zip (an xlsx package) from memory with libzip, within limits:
// the declared uncompressed total, each entry's compression ratio, and the entry count. Reads
// never trust a declared size: at most the allowance is read. Failures: resource_exhausted with
// reason "zip_bomb", or invalid_argument with reason "not_a_zip" / "bad_zip".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"

namespace kakitome::form {

struct ZipLimits {
    std::uint64_t max_total_uncompressed = 50ull * 1024 * 1024;
    std::uint64_t max_ratio = 100;
    // Entries smaller than this are not ratio-checked: tiny XML parts compress very well and
    // cannot hurt memory.
    std::uint64_t ratio_check_from_bytes = 64 * 1024;
    std::uint64_t max_entries = 10000;
};

class ZipArchive {
  public:
    // Borrows bytes; keep them alive while the archive is used.
    static Result<ZipArchive> open(std::string_view bytes, const ZipLimits& limits = {});
    ~ZipArchive();
    ZipArchive(ZipArchive&&) noexcept;
    ZipArchive& operator=(ZipArchive&&) = delete;

    bool contains(const std::string& name) const;
    Result<std::string> read(const std::string& name) const;
    const std::vector<std::string>& names() const { return names_; }

  private:
    ZipArchive() = default;
    struct Handle;
    std::unique_ptr<Handle> handle_;
    std::vector<std::string> names_;
    ZipLimits limits_;
};

}  // namespace kakitome::form
