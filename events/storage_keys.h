// Byte layouts of RocksDB keys. Big-endian integers so that RocksDB's bytewise order is numeric
// order. Stream keys carry a length prefix so no stream name is a prefix of another's keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kakitome::storage_keys {

inline constexpr const char* kEventsFamily = "events";
inline constexpr const char* kStreamsFamily = "streams";
inline constexpr const char* kMetaFamily = "meta";
inline constexpr const char* kBlobsFamily = "blobs";

inline constexpr std::string_view kMetaHead = "head";  // value: BE seq + 32-byte hash

std::string big_endian(std::uint64_t value);
std::optional<std::uint64_t> read_big_endian(std::string_view bytes);

std::string event_key(std::uint64_t seq);
// Key of one version of a stream; version 0 gives the prefix-start of the stream.
std::string stream_key(std::string_view stream, std::uint64_t version);
// All keys of the stream share this prefix.
std::string stream_prefix(std::string_view stream);

}  // namespace kakitome::storage_keys
