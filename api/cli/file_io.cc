#include "api/cli/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace kakitome::cli {

Result<std::string> read_whole_file(const std::string& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Status::not_found("cannot open " + path + ": " + std::strerror(errno));
    const auto size = static_cast<std::size_t>(in.tellg());
    if (size > max_bytes) {
        return Status::resource_exhausted(path + " is " + std::to_string(size) +
                                          " bytes; the limit is " + std::to_string(max_bytes));
    }
    std::string bytes(size, '\0');
    in.seekg(0);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
        return Status::io_error("cannot read " + path);
    return bytes;
}

Status write_whole_file(const std::string& path, std::string_view bytes) {
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::io_error("cannot create " + temporary + ": " + std::strerror(errno));
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            ::unlink(temporary.c_str());
            return Status::io_error("cannot write " + path + ": " + std::strerror(errno));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
        ::unlink(temporary.c_str());
        return Status::io_error("cannot finish writing " + path + ": " + std::strerror(errno));
    }
    return Status::ok();
}

std::string read_verifier_key(std::string key) {
    if (std::ifstream key_file(key); key_file && key.find('+') == std::string::npos) {
        std::getline(key_file, key);
    }
    return key;
}

}  // namespace kakitome::cli
