#include "events/storage_keys.h"

namespace kakitome::storage_keys {

std::string big_endian(std::uint64_t value) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
        value >>= 8;
    }
    return out;
}

std::optional<std::uint64_t> read_big_endian(std::string_view bytes) {
    if (bytes.size() != 8) return std::nullopt;
    std::uint64_t value = 0;
    for (unsigned char c : bytes) value = value << 8 | c;
    return value;
}

std::string event_key(std::uint64_t seq) {
    return big_endian(seq);
}

std::string stream_prefix(std::string_view stream) {
    std::string key;
    key.reserve(2 + stream.size() + 8);
    key.push_back(static_cast<char>(stream.size() >> 8 & 0xff));
    key.push_back(static_cast<char>(stream.size() & 0xff));
    key.append(stream);
    return key;
}

std::string stream_key(std::string_view stream, std::uint64_t version) {
    return stream_prefix(stream) + big_endian(version);
}

}  // namespace kakitome::storage_keys
