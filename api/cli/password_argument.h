// The password of commands that open encrypted forms: --password P, or --password-file F whose
// first line is the password (which keeps it out of the process list).
#pragma once

#include <optional>
#include <string>

#include "api/cli/arguments.h"

namespace kakitome::cli {

// nullopt when neither flag is given or the file cannot be read.
std::optional<std::string> password_from(const Arguments& arguments);

}  // namespace kakitome::cli
