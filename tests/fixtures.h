// Access to tests/data/fixtures (files made by independent tools, see its README) and its
// manifest.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace kakitome::testing {

inline std::filesystem::path fixtures_directory() {
    return KAKITOME_FIXTURES;
}

inline std::string read_fixture(const std::string& relative) {
    std::ifstream in(fixtures_directory() / relative, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + relative);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

inline const nlohmann::json& manifest() {
    static const nlohmann::json parsed = nlohmann::json::parse(read_fixture("manifest.json"));
    return parsed;
}

}  // namespace kakitome::testing
