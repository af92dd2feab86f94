// Namespace-agnostic element lookup for pugixml documents: OOXML and MS-OFFCRYPTO parts use
// prefixes ("p:encryptedKey", "x:sheetData") that vary between writers, so match local names.
#pragma once

#include <pugixml.hpp>

#include <string_view>

namespace kakitome::xml {

inline std::string_view local_name(const char* name) {
    std::string_view text(name);
    const auto colon = text.find(':');
    return colon == std::string_view::npos ? text : text.substr(colon + 1);
}

inline pugi::xml_node child_named(pugi::xml_node parent, std::string_view name) {
    for (pugi::xml_node child : parent.children()) {
        if (local_name(child.name()) == name) return child;
    }
    return {};
}

}  // namespace kakitome::xml
