// Reads a text file line by line in bounded memory, gzip or plain alike (zlib decides from the
// bytes), for imports of files far larger than memory. Lines end at '\n'; a '\r' before it and
// a UTF-8 byte-order mark at the start are dropped. A line longer than kMaxLineBytes is returned
// cut, with `cut()` true, so the importer can report it instead of buffering without end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome::evidence {

// The SHA-256 (hex) and size of a file's bytes as they are (compressed, when gzip).
struct FileDigest {
    std::string sha256;
    std::uint64_t bytes = 0;
};
Result<FileDigest> digest_file(const std::filesystem::path& path);

class LineReader {
  public:
    static constexpr std::size_t kMaxLineBytes = 64 * 1024;

    static Result<std::unique_ptr<LineReader>> open(const std::filesystem::path& path);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // The next line (valid until the next call), or false at the end. A read error (a gzip
    // file cut short, a corrupt block) ends the lines and sets error(); the partial line the
    // error cut is never returned.
    bool next(std::string_view& line);
    std::uint64_t line_number() const { return line_number_; }  // of the last line returned
    bool cut() const { return cut_; }
    const Status& error() const { return error_; }

  private:
    explicit LineReader(void* file);
    bool fill();
    void* file_;  // gzFile
    std::string buffer_;
    std::size_t begin_ = 0, end_ = 0;
    std::string long_line_;
    std::uint64_t line_number_ = 0;
    bool cut_ = false, at_end_ = false;
    Status error_;
};

}  // namespace kakitome::evidence
