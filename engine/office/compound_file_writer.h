// Writes a version-3 Compound File (512-byte sectors) holding streams at the root: the container
// of an encrypted Office document. Streams under 4096 bytes go to the mini stream, as MS-CFB
// requires. Up to 109 FAT sectors (files up to about 7 MB); larger is resource_exhausted.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "events/base/status.h"

namespace kakitome::office {

struct CompoundFileStream {
    std::string name;  // ASCII, at most 31 characters
    std::string data;
};

Result<std::string> write_compound_file(const std::vector<CompoundFileStream>& streams);

}  // namespace kakitome::office
