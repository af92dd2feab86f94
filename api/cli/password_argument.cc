#include "api/cli/password_argument.h"

#include "api/cli/file_io.h"

namespace kakitome::cli {

std::optional<std::string> password_from(const Arguments& arguments) {
    if (auto password = arguments.value("password")) return password;
    if (auto file = arguments.value("password-file")) {
        auto text = read_whole_file(*file, 4096);
        if (!text.is_ok()) return std::nullopt;
        std::string line = text->substr(0, text->find_first_of("\r\n"));
        return line;
    }
    return std::nullopt;
}

}  // namespace kakitome::cli
