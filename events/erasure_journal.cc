#include "events/erasure_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

namespace kakitome {

namespace {

Status io_error(const std::string& what, const std::filesystem::path& file) {
    return Status::io_error(what + " " + file.string() + ": " + std::strerror(errno));
}

// A crash mid-append leaves a last line without its newline; it was never acknowledged. Cut it
// off before appending, or the next line would be glued to it and the journal unreadable.
Status cut_torn_tail(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::ok();
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty() || text.back() == '\n') return Status::ok();
    const auto keep = text.rfind('\n');
    std::error_code error;
    std::filesystem::resize_file(file, keep == std::string::npos ? 0 : keep + 1, error);
    if (error) return Status::io_error("cannot repair " + file.string() + ": " + error.message());
    return Status::ok();
}

// Appends `lines` and fsyncs; a new file is created 0600 and its directory fsynced, so the
// file itself survives a power loss, not only its bytes.
Status append_durably(const std::filesystem::path& file, const std::string& lines) {
    KAKITOME_RETURN_IF_ERROR(cut_torn_tail(file));
    const bool existed = std::filesystem::exists(file);
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot open the erasure journal", file);
    std::size_t written = 0;
    while (written < lines.size()) {
        const ssize_t n = ::write(fd, lines.data() + written, lines.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            return io_error("cannot write the erasure journal", file);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        return io_error("cannot fsync the erasure journal", file);
    }
    ::close(fd);
    if (!existed) {
        const auto parent =
            file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
        const int directory = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory < 0) return io_error("cannot open the directory of", file);
        const bool synced = ::fsync(directory) == 0;
        ::close(directory);
        if (!synced) return io_error("cannot fsync the directory of", file);
    }
    return Status::ok();
}

std::string line_of(std::string_view key, std::int64_t erased_at_ms) {
    return nlohmann::json{{"key", key}, {"erased_at", erased_at_ms}}.dump() + "\n";
}

}  // namespace

Result<ErasureJournal> ErasureJournal::open(std::vector<std::filesystem::path> files) {
    if (files.empty()) return Status::invalid_argument("an erasure journal needs a file");
    for (const auto& file : files) {
        auto readable = read_erasure_journal(file);
        if (!readable.is_ok()) return readable.status();
    }
    return ErasureJournal(std::move(files));
}

Status ErasureJournal::record(std::string_view key, std::int64_t erased_at_ms) {
    const std::lock_guard lock(mutex_);
    const std::string line = line_of(key, erased_at_ms);
    for (const auto& file : files_) KAKITOME_RETURN_IF_ERROR(append_durably(file, line));
    return Status::ok();
}

Result<std::vector<JournaledErasure>> read_erasure_journal(const std::filesystem::path& file) {
    std::vector<JournaledErasure> erasures;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        if (!std::filesystem::exists(file)) return erasures;
        return io_error("cannot read the erasure journal", file);
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t start = 0;
    std::uint64_t number = 0;
    while (start < text.size()) {
        ++number;
        const auto end = text.find('\n', start);
        if (end == std::string::npos) break;  // torn by a crash mid-append: never acknowledged
        const auto line = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
        start = end + 1;
        if (!line.is_object() || !line.contains("key") || !line["key"].is_string() ||
            line["key"].get<std::string>().empty() || !line.contains("erased_at") ||
            !line["erased_at"].is_number_integer()) {
            return Status::corruption("erasure journal " + file.string() + " line " +
                                      std::to_string(number) + " is not an erasure")
                .with_reason("bad_erasure_journal");
        }
        erasures.push_back({line["key"].get<std::string>(), line["erased_at"].get<std::int64_t>()});
    }
    return erasures;
}

Status merge_erasure_journal(const std::filesystem::path& source,
                             const std::filesystem::path& destination) {
    auto from = read_erasure_journal(source);
    if (!from.is_ok()) return from.status();
    auto to = read_erasure_journal(destination);
    if (!to.is_ok()) return to.status();
    std::set<std::string> known;
    for (const auto& erasure : to.value()) known.insert(erasure.key);
    std::string missing;
    for (const auto& erasure : from.value()) {
        if (known.insert(erasure.key).second) missing += line_of(erasure.key, erasure.erased_at_ms);
    }
    if (missing.empty()) return Status::ok();
    return append_durably(destination, missing);
}

}  // namespace kakitome
