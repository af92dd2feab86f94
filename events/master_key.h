// The master key: 32 random bytes in a file of its own (64 hex digits), created on first use with
// mode 0600. Every at-rest key (blobs, per-application data keys) is derived from or wrapped by it.
// A key file readable by group or others is refused rather than silently used.
#pragma once

#include <filesystem>

#include "events/base/aead.h"
#include "events/base/status.h"

namespace kakitome {

Result<AeadKey> load_or_create_master_key(const std::filesystem::path& path);

}  // namespace kakitome
