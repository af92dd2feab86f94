// Directories that only the service user may enter: the data directory (the log, sealed
// personal data, blobs and, in the demo layout, the keys) and the directories of key files.
// Created 0700; an existing one open to group or others is refused, as the key files are.
#pragma once

#include <filesystem>

#include "events/base/status.h"

namespace kakitome {

// Creates `directory` (and missing parents) and, when this call created it, sets it to 0700
// whatever the umask. io_error when it cannot be created.
Status create_private_directory(const std::filesystem::path& directory);

// permission_denied (reason data_directory_not_private) when group or others have any access
// to `directory`; ok when it does not exist (the caller's open reports that).
Status check_private_directory(const std::filesystem::path& directory);

}  // namespace kakitome
