// The routes docs/openapi.yaml documents, as "METHOD /path/{param}" (the paths and methods
// under `paths:`, at two- and four-space indentation), for the tests that hold the document
// to what the binary serves.
#pragma once

#include <cctype>
#include <fstream>
#include <set>
#include <string>

namespace kakitome::testing {

inline std::set<std::string> documented_routes() {
    std::ifstream in(KAKITOME_OPENAPI);
    std::set<std::string> found;
    std::string line, path;
    bool in_paths = false;
    while (std::getline(in, line)) {
        if (line == "paths:") {
            in_paths = true;
            continue;
        }
        if (!in_paths) continue;
        if (!line.empty() && line[0] != ' ') break;
        if (line.rfind("  /", 0) == 0 && line.back() == ':') path = line.substr(2, line.size() - 3);
        for (const char* method : {"get", "post", "put", "delete", "patch"}) {
            if (line == std::string("    ") + method + ":") {
                std::string upper = method;
                for (char& c : upper)
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                found.insert(upper + " " + path);
            }
        }
    }
    return found;
}

}  // namespace kakitome::testing
