// Whole-file reads and writes for subcommands. Writes go to a temporary file that is renamed
// into place, so a reader never sees half a file; files are created 0600 because they may hold
// applicants' data.
#pragma once

#include <string>
#include <string_view>

#include "events/base/status.h"

namespace kakitome::cli {

// resource_exhausted when the file is larger than max_bytes.
Result<std::string> read_whole_file(const std::string& path, std::size_t max_bytes = 256u << 20);
Status write_whole_file(const std::string& path, std::string_view bytes);

// A verifier key given as itself ("name+keyid+base64") or as a file holding it.
std::string read_verifier_key(std::string key);

}  // namespace kakitome::cli
