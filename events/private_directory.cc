#include "events/private_directory.h"

#include <sys/stat.h>

#include <cstdio>
#include <system_error>

namespace kakitome {

Status create_private_directory(const std::filesystem::path& directory) {
    std::error_code error;
    const bool created = std::filesystem::create_directories(directory, error);
    if (error)
        return Status::io_error("cannot create " + directory.string() + ": " + error.message());
    if (created && ::chmod(directory.c_str(), 0700) != 0)
        return Status::io_error("cannot make " + directory.string() + " private");
    return Status::ok();
}

Status check_private_directory(const std::filesystem::path& directory) {
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0) return Status::ok();
    if ((info.st_mode & 077) == 0) return Status::ok();
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Status::permission_denied("the data directory " + directory.string() +
                                     " is open to group or others (mode " + mode +
                                     "); it holds the log, sealed personal data and blobs: "
                                     "chmod 700 it")
        .with_reason("data_directory_not_private");
}

}  // namespace kakitome
