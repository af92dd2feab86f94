#include "events/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "events/base/sha256.h"
#include "events/private_directory.h"

namespace kakitome {

namespace {

Status create_key_file(const std::filesystem::path& path) {
    if (path.has_parent_path())
        KAKITOME_RETURN_IF_ERROR(create_private_directory(path.parent_path()));
    AeadKey key{};
    random_bytes(key.data(), key.size());
    const std::string text = to_hex(key.data(), key.size()) + "\n";
    // O_EXCL: two processes starting at once must not both write a key and each keep a different
    // one.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return Status::ok();
        return Status::io_error("cannot create master key " + path.string() + ": " +
                                std::strerror(errno));
    }
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return Status::io_error("cannot write master key " + path.string());
    return Status::ok();
}

}  // namespace

Result<AeadKey> load_or_create_master_key(const std::filesystem::path& path) {
    KAKITOME_RETURN_IF_ERROR(create_key_file(path));
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return Status::io_error("cannot stat master key " + path.string());
    }
    if ((info.st_mode & 077) != 0) {
        return Status::permission_denied("master key " + path.string() +
                                         " is readable by group or others; chmod 600 it");
    }
    std::ifstream in(path);
    std::string hex;
    in >> hex;
    auto bytes = sha256_from_hex(hex);  // 32 bytes in 64 hex digits, the same shape as a digest
    if (!bytes) return Status::corruption("master key " + path.string() + " is not 64 hex digits");
    AeadKey key{};
    std::copy(bytes->begin(), bytes->end(), key.begin());
    return key;
}

}  // namespace kakitome
