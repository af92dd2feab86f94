#include "engine/evidence/line_reader.h"

#include <cstring>
#include <fstream>

#include <zlib.h>

#include "events/base/sha256.h"

namespace kakitome::evidence {

namespace {
constexpr std::size_t kBufferBytes = 1 << 20;
}

Result<FileDigest> digest_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Status::not_found("cannot read " + path.string()).with_reason("unreadable_file");
    Sha256Hasher hasher;
    FileDigest digest;
    std::string block(kBufferBytes, '\0');
    while (in) {
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        hasher.update(std::string_view(block.data(), got));
        digest.bytes += got;
    }
    if (in.bad()) return Status::io_error("read error in " + path.string());
    digest.sha256 = to_hex(hasher.finish());
    return digest;
}

Result<std::unique_ptr<LineReader>> LineReader::open(const std::filesystem::path& path) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr)
        return Status::not_found("cannot read " + path.string()).with_reason("unreadable_file");
    gzbuffer(file, 256 * 1024);
    return std::unique_ptr<LineReader>(new LineReader(file));
}

LineReader::LineReader(void* file) : file_(file), buffer_(kBufferBytes, '\0') {}

LineReader::~LineReader() {
    gzclose(static_cast<gzFile>(file_));
}

bool LineReader::fill() {
    // Keep the unfinished line at the front, then read after it.
    if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (at_end_ || end_ == buffer_.size()) return false;
    const int got = gzread(static_cast<gzFile>(file_), buffer_.data() + end_,
                           static_cast<unsigned>(buffer_.size() - end_));
    if (got < 0) {
        int code = 0;
        const char* message = gzerror(static_cast<gzFile>(file_), &code);
        error_ = Status::io_error(std::string("cannot decompress: ") + message)
                     .with_reason("corrupt_file");
        at_end_ = true;
        return false;
    }
    if (got == 0) {
        // gzread returns 0 both at a clean end and for a gzip stream cut short.
        int code = 0;
        const char* message = gzerror(static_cast<gzFile>(file_), &code);
        if (code != Z_OK && code != Z_STREAM_END)
            error_ = Status::io_error(std::string("cannot decompress: ") + message)
                         .with_reason("corrupt_file");
        at_end_ = true;
        return false;
    }
    end_ += static_cast<std::size_t>(got);
    return true;
}

bool LineReader::next(std::string_view& line) {
    cut_ = false;
    while (true) {
        const char* start = buffer_.data() + begin_;
        const void* newline = std::memchr(start, '\n', end_ - begin_);
        std::size_t length = 0;
        if (newline != nullptr) {
            length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
        } else if (end_ - begin_ >= kMaxLineBytes) {
            // Too long: hand out its first kMaxLineBytes and drop the rest of it.
            length = kMaxLineBytes;
            cut_ = true;
        } else if (fill()) {
            continue;
        } else if (end_ > begin_ && error_.is_ok()) {
            length = end_ - begin_;  // the last line without a newline
        } else if (end_ > begin_) {
            // A decompression error cut this line short: it is not a line of the file.
            begin_ = end_;
            return false;
        } else {
            return false;
        }
        line = std::string_view(buffer_.data() + begin_, length);
        begin_ += length + (newline != nullptr ? 1 : 0);
        if (length > kMaxLineBytes) {
            // Whole in the buffer but over the bound: cut it like one that is not.
            line = line.substr(0, kMaxLineBytes);
            cut_ = true;
        } else if (cut_) {
            long_line_.assign(line);
            // Skip to the end of the over-long line.
            while (true) {
                const void* rest = std::memchr(buffer_.data() + begin_, '\n', end_ - begin_);
                if (rest != nullptr) {
                    begin_ =
                        static_cast<std::size_t>(static_cast<const char*>(rest) - buffer_.data()) +
                        1;
                    break;
                }
                begin_ = end_;
                if (!fill()) break;
            }
            line = long_line_;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line_number_ == 0 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
        ++line_number_;
        return true;
    }
}

}  // namespace kakitome::evidence
