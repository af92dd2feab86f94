// The console's files (api/console/assets/), compiled into the binary at build time
// (embed_assets.cmake), so `kakitome serve` is still the whole product: no file is read and
// nothing is fetched at run time (docs/console.md).
//
// Contract: console_asset("app.js") gives the file's bytes and its Content-Type; a name that is
// not one of the files (or has a path in it) gives nullopt. The set is fixed at build time.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace kakitome::api {

struct EmbeddedFile {
    std::string_view name;
    std::string_view bytes;
};

struct ConsoleAsset {
    std::string_view bytes;
    std::string_view content_type;
};

// Every embedded file, by name (generated).
const std::vector<EmbeddedFile>& embedded_console_files();

std::optional<ConsoleAsset> console_asset(std::string_view name);

// The Content-Security-Policy of every response: the console's own files only, no inline
// script or style, no eval, no framing, no other origin.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

}  // namespace kakitome::api
