#include "engine/office/compound_file_writer.h"

#include <algorithm>
#include <cstdint>
#include <functional>

namespace kakitome::office {

namespace {

constexpr std::uint32_t kSectorSize = 512;
constexpr std::uint32_t kMiniSectorSize = 64;
constexpr std::uint32_t kMiniCutoff = 4096;
constexpr std::uint32_t kEndOfChain = 0xfffffffe;
constexpr std::uint32_t kFatSector = 0xfffffffd;
constexpr std::uint32_t kFreeSector = 0xffffffff;
constexpr std::uint32_t kNoStream = 0xffffffff;

void put16(std::string& out, std::size_t at, std::uint16_t value) {
    out[at] = static_cast<char>(value & 0xff);
    out[at + 1] = static_cast<char>(value >> 8);
}
void put32(std::string& out, std::size_t at, std::uint32_t value) {
    put16(out, at, static_cast<std::uint16_t>(value & 0xffff));
    put16(out, at + 2, static_cast<std::uint16_t>(value >> 16));
}

std::uint32_t sectors_for(std::uint64_t bytes, std::uint32_t unit) {
    return static_cast<std::uint32_t>((bytes + unit - 1) / unit);
}

struct Entry {
    std::string name;
    std::uint8_t type;  // 2 stream, 5 root
    std::uint32_t left = kNoStream, right = kNoStream, child = kNoStream;
    std::uint32_t start = kEndOfChain;
    std::uint64_t size = 0;
};

// MS-CFB orders siblings by name length, then by upper-cased name.
bool cfb_less(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(std::toupper(static_cast<unsigned char>(a[i])));
        const auto y = static_cast<unsigned char>(std::toupper(static_cast<unsigned char>(b[i])));
        if (x != y) return x < y;
    }
    return false;
}

}  // namespace

Result<std::string> write_compound_file(const std::vector<CompoundFileStream>& streams) {
    std::vector<Entry> entries;
    entries.push_back({.name = "Root Entry", .type = 5});
    for (const auto& stream : streams) {
        if (stream.name.empty() || stream.name.size() > 31) {
            return Status::invalid_argument("stream name must be 1 to 31 characters");
        }
        entries.push_back({.name = stream.name, .type = 2, .size = stream.data.size()});
    }

    // Mini stream: small streams, each starting on a 64-byte boundary.
    std::string mini_stream;
    std::vector<std::uint32_t> mini_fat;
    for (std::size_t i = 0; i < streams.size(); ++i) {
        const std::string& data = streams[i].data;
        if (data.empty() || data.size() >= kMiniCutoff) continue;
        const auto first = static_cast<std::uint32_t>(mini_fat.size());
        const std::uint32_t count = sectors_for(data.size(), kMiniSectorSize);
        for (std::uint32_t k = 0; k < count; ++k)
            mini_fat.push_back(k + 1 < count ? first + k + 1 : kEndOfChain);
        entries[i + 1].start = first;
        mini_stream += data;
        mini_stream.resize(mini_fat.size() * kMiniSectorSize, '\0');
    }

    const std::uint32_t directory_sectors = sectors_for(entries.size() * 128, kSectorSize);
    const std::uint32_t mini_fat_sectors = sectors_for(mini_fat.size() * 4, kSectorSize);
    const std::uint32_t mini_stream_sectors = sectors_for(mini_stream.size(), kSectorSize);
    std::uint32_t big_sectors = 0;
    for (const auto& stream : streams) {
        if (stream.data.size() >= kMiniCutoff)
            big_sectors += sectors_for(stream.data.size(), kSectorSize);
    }
    const std::uint32_t payload_sectors =
        directory_sectors + mini_fat_sectors + mini_stream_sectors + big_sectors;
    std::uint32_t fat_sectors = 1;
    while (fat_sectors * (kSectorSize / 4) < payload_sectors + fat_sectors) ++fat_sectors;
    if (fat_sectors > 109)
        return Status::resource_exhausted("document too large for a compound file without DIFAT");
    const std::uint32_t total_sectors = fat_sectors + payload_sectors;

    // Layout: FAT, directory, MiniFAT, mini stream, then each large stream.
    std::vector<std::uint32_t> fat(fat_sectors * (kSectorSize / 4), kFreeSector);
    std::uint32_t next = 0;
    auto allocate_chain = [&](std::uint32_t count) {
        const std::uint32_t first = next;
        for (std::uint32_t k = 0; k < count; ++k)
            fat[first + k] = k + 1 < count ? first + k + 1 : kEndOfChain;
        next += count;
        return count == 0 ? kEndOfChain : first;
    };
    for (std::uint32_t k = 0; k < fat_sectors; ++k) fat[next++] = kFatSector;
    const std::uint32_t directory_start = allocate_chain(directory_sectors);
    const std::uint32_t mini_fat_start = allocate_chain(mini_fat_sectors);
    const std::uint32_t mini_stream_start = allocate_chain(mini_stream_sectors);
    entries[0].start = mini_stream_start;
    entries[0].size = mini_stream.size();
    for (std::size_t i = 0; i < streams.size(); ++i) {
        if (streams[i].data.size() >= kMiniCutoff) {
            entries[i + 1].start = allocate_chain(sectors_for(streams[i].data.size(), kSectorSize));
        }
    }

    // Root's children as a balanced binary tree in CFB order (all nodes black).
    std::vector<std::uint32_t> order(streams.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i + 1;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return cfb_less(entries[a].name, entries[b].name);
    });
    std::function<std::uint32_t(std::size_t, std::size_t)> build = [&](std::size_t low,
                                                                       std::size_t high) {
        if (low >= high) return kNoStream;
        const std::size_t middle = (low + high) / 2;
        Entry& node = entries[order[middle]];
        node.left = build(low, middle);
        node.right = build(middle + 1, high);
        return order[middle];
    };
    entries[0].child = build(0, order.size());

    std::string out(static_cast<std::size_t>(total_sectors + 1) * kSectorSize, '\0');
    // Header.
    const unsigned char signature[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    std::copy(signature, signature + 8, out.begin());
    put16(out, 24, 0x003e);
    put16(out, 26, 3);
    put16(out, 28, 0xfffe);
    put16(out, 30, 9);
    put16(out, 32, 6);
    put32(out, 44, fat_sectors);
    put32(out, 48, directory_start);
    put32(out, 56, kMiniCutoff);
    put32(out, 60, mini_fat_sectors ? mini_fat_start : kEndOfChain);
    put32(out, 64, mini_fat_sectors);
    put32(out, 68, kEndOfChain);
    put32(out, 72, 0);
    for (std::uint32_t k = 0; k < 109; ++k)
        put32(out, 76 + 4 * k, k < fat_sectors ? k : kFreeSector);

    auto sector_offset = [](std::uint32_t sector) {
        return static_cast<std::size_t>(sector + 1) * kSectorSize;
    };
    for (std::size_t k = 0; k < fat.size(); ++k) put32(out, sector_offset(0) + 4 * k, fat[k]);

    const std::size_t directory_at = sector_offset(directory_start);
    for (std::size_t k = 0; k < directory_sectors * kSectorSize / 128; ++k) {
        const std::size_t at = directory_at + 128 * k;
        put32(out, at + 68, kNoStream);
        put32(out, at + 72, kNoStream);
        put32(out, at + 76, kNoStream);
        if (k >= entries.size()) continue;
        const Entry& entry = entries[k];
        for (std::size_t c = 0; c < entry.name.size(); ++c)
            put16(out, at + 2 * c, static_cast<unsigned char>(entry.name[c]));
        put16(out, at + 64, static_cast<std::uint16_t>((entry.name.size() + 1) * 2));
        out[at + 66] = static_cast<char>(entry.type);
        out[at + 67] = 1;  // black
        put32(out, at + 68, entry.left);
        put32(out, at + 72, entry.right);
        put32(out, at + 76, entry.child);
        put32(out, at + 116, entry.start);
        put32(out, at + 120, static_cast<std::uint32_t>(entry.size));
    }
    for (std::size_t k = 0; k < mini_fat.size(); ++k)
        put32(out, sector_offset(mini_fat_start) + 4 * k, mini_fat[k]);
    if (!mini_stream.empty())
        std::copy(mini_stream.begin(), mini_stream.end(),
                  out.begin() + static_cast<std::ptrdiff_t>(sector_offset(mini_stream_start)));
    for (std::size_t i = 0; i < streams.size(); ++i) {
        if (streams[i].data.size() < kMiniCutoff) continue;
        std::copy(streams[i].data.begin(), streams[i].data.end(),
                  out.begin() + static_cast<std::ptrdiff_t>(sector_offset(entries[i + 1].start)));
    }
    return out;
}

}  // namespace kakitome::office
