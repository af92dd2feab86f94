#include "api/console/console_assets.h"

#include <algorithm>
#include <utility>

namespace kakitome::api {

namespace {

std::string_view content_type_of(std::string_view name) {
    static const std::pair<std::string_view, std::string_view> kTypes[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".json", "application/json"},
    };
    for (const auto& [extension, type] : kTypes) {
        if (name.size() > extension.size() &&
            name.substr(name.size() - extension.size()) == extension)
            return type;
    }
    return "application/octet-stream";
}

}  // namespace

std::optional<ConsoleAsset> console_asset(std::string_view name) {
    const auto& files = embedded_console_files();
    const auto found = std::find_if(files.begin(), files.end(),
                                    [&](const EmbeddedFile& file) { return file.name == name; });
    if (found == files.end()) return std::nullopt;
    return ConsoleAsset{found->bytes, content_type_of(name)};
}

}  // namespace kakitome::api
