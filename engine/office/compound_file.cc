#include "engine/office/compound_file.h"

#include <algorithm>
#include <cstring>

namespace kakitome::office {

namespace {

constexpr unsigned char kSignature[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
constexpr std::uint32_t kMaxRegularSector = 0xfffffffa;
constexpr std::uint32_t kEndOfChain = 0xfffffffe;
constexpr std::uint32_t kNoStream = 0xffffffff;
constexpr std::size_t kHeaderDifatEntries = 109;
constexpr std::uint8_t kTypeStorage = 1, kTypeStream = 2, kTypeRoot = 5;

Status bad(std::string message) {
    return Status::invalid_argument("compound file: " + std::move(message))
        .with_reason("bad_container");
}

std::uint16_t u16(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                      static_cast<unsigned char>(bytes[at + 1]) << 8);
}
std::uint32_t u32(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint32_t>(u16(bytes, at)) |
           static_cast<std::uint32_t>(u16(bytes, at + 2)) << 16;
}
std::uint64_t u64(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint64_t>(u32(bytes, at)) |
           static_cast<std::uint64_t>(u32(bytes, at + 4)) << 32;
}

char16_t upper(char16_t c) {
    return (c >= u'a' && c <= u'z') ? static_cast<char16_t>(c - 32) : c;
}

std::string utf16_to_utf8(const std::u16string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::uint32_t code = text[i];
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.size() && text[i + 1] >= 0xdc00 &&
            text[i + 1] <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (text[++i] - 0xdc00);
        }
        if (code < 0x80) {
            out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xc0 | code >> 6));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        } else if (code < 0x10000) {
            out.push_back(static_cast<char>(0xe0 | code >> 12));
            out.push_back(static_cast<char>(0x80 | (code >> 6 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xf0 | code >> 18));
            out.push_back(static_cast<char>(0x80 | (code >> 12 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code >> 6 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        }
    }
    return out;
}

}  // namespace

bool CompoundFile::has_signature(std::string_view bytes) {
    return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

Result<CompoundFile> CompoundFile::parse(std::string_view bytes) {
    if (!has_signature(bytes)) return bad("no compound file signature");
    if (bytes.size() < 512) return bad("shorter than its header");
    CompoundFile file;
    file.bytes_ = bytes;
    const std::uint16_t major = u16(bytes, 26);
    const std::uint16_t sector_shift = u16(bytes, 30);
    const std::uint16_t mini_shift = u16(bytes, 32);
    if (u16(bytes, 28) != 0xfffe) return bad("byte order mark is not little-endian");
    if (!((major == 3 && sector_shift == 9) || (major == 4 && sector_shift == 12))) {
        return bad("unsupported version " + std::to_string(major) + " with sector shift " +
                   std::to_string(sector_shift));
    }
    if (mini_shift != 6) return bad("mini sector shift is not 6");
    file.sector_size_ = 1u << sector_shift;
    file.mini_sector_size_ = 1u << mini_shift;
    file.fat_sectors_ = u32(bytes, 44);
    file.first_directory_sector_ = u32(bytes, 48);
    file.mini_cutoff_ = u32(bytes, 56);
    file.first_mini_fat_sector_ = u32(bytes, 60);
    file.mini_fat_sectors_ = u32(bytes, 64);
    file.first_difat_sector_ = u32(bytes, 68);
    file.difat_sectors_ = u32(bytes, 72);
    if (file.mini_cutoff_ != 4096) return bad("mini stream cutoff is not 4096");
    // Sectors follow a header that occupies one whole sector (512 or 4096 bytes).
    if (bytes.size() < file.sector_size_) return bad("shorter than its header sector");
    file.sector_count_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        (bytes.size() - file.sector_size_) / file.sector_size_, kMaxRegularSector));

    KAKITOME_RETURN_IF_ERROR(file.load_fat());
    KAKITOME_RETURN_IF_ERROR(file.load_directory());
    KAKITOME_RETURN_IF_ERROR(file.load_mini_stream());
    KAKITOME_RETURN_IF_ERROR(file.collect_root_children());
    return file;
}

Status CompoundFile::load_fat() {
    if (fat_sectors_ == 0 || fat_sectors_ > sector_count_) {
        return bad("FAT sector count " + std::to_string(fat_sectors_) + " does not fit the file");
    }
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors whose last entry
    // points to the next one.
    std::vector<std::uint32_t> fat_locations;
    for (std::size_t i = 0; i < kHeaderDifatEntries && fat_locations.size() < fat_sectors_; ++i) {
        fat_locations.push_back(u32(bytes_, 76 + 4 * i));
    }
    const std::uint32_t per_difat = sector_size_ / 4 - 1;
    std::uint32_t difat = first_difat_sector_;
    std::vector<bool> seen_difat(sector_count_, false);
    for (std::uint32_t n = 0; fat_locations.size() < fat_sectors_; ++n) {
        if (difat >= sector_count_) return bad("DIFAT chain leaves the file");
        if (seen_difat[difat] || n >= difat_sectors_)
            return bad("DIFAT chain loops or is too long");
        seen_difat[difat] = true;
        const std::size_t base = static_cast<std::size_t>(difat + 1) * sector_size_;
        for (std::uint32_t i = 0; i < per_difat && fat_locations.size() < fat_sectors_; ++i) {
            fat_locations.push_back(u32(bytes_, base + 4 * i));
        }
        difat = u32(bytes_, base + 4 * per_difat);
    }
    fat_.reserve(static_cast<std::size_t>(fat_sectors_) * (sector_size_ / 4));
    for (std::uint32_t location : fat_locations) {
        if (location >= sector_count_)
            return bad("FAT sector " + std::to_string(location) + " is outside the file");
        const std::size_t base = static_cast<std::size_t>(location + 1) * sector_size_;
        for (std::uint32_t i = 0; i < sector_size_ / 4; ++i)
            fat_.push_back(u32(bytes_, base + 4 * i));
    }
    return Status::ok();
}

Result<std::string> CompoundFile::read_chain(std::uint32_t start, std::uint64_t size,
                                             bool mini) const {
    const std::uint32_t unit = mini ? mini_sector_size_ : sector_size_;
    const std::vector<std::uint32_t>& table = mini ? mini_fat_ : fat_;
    const std::uint64_t available = mini ? mini_stream_.size() / unit : sector_count_;
    const std::uint64_t needed = (size + unit - 1) / unit;
    if (needed > available)
        return bad("stream of " + std::to_string(size) + " bytes is larger than the file");
    std::string out;
    out.reserve(static_cast<std::size_t>(needed * unit));
    std::uint32_t sector = start;
    for (std::uint64_t n = 0; n < needed; ++n) {
        if (sector >= available || sector >= table.size()) {
            return bad("sector " + std::to_string(sector) + " in a chain is out of range");
        }
        if (mini) {
            out.append(mini_stream_, static_cast<std::size_t>(sector) * unit, unit);
        } else {
            out.append(bytes_.substr(static_cast<std::size_t>(sector + 1) * unit, unit));
        }
        // A chain longer than its size needs is either a loop or a lie; both are rejected.
        sector = table[sector];
    }
    if (sector != kEndOfChain) {
        return bad("chain does not end where the stream size says (" + std::to_string(size) +
                   " bytes)");
    }
    out.resize(static_cast<std::size_t>(size));
    return out;
}

Status CompoundFile::load_directory() {
    // The directory's own size is unknown: follow its chain with loop detection.
    std::vector<bool> seen(sector_count_, false);
    std::string directory_bytes;
    for (std::uint32_t sector = first_directory_sector_; sector != kEndOfChain;) {
        if (sector >= sector_count_ || sector >= fat_.size())
            return bad("directory chain leaves the file");
        if (seen[sector]) return bad("directory chain loops");
        seen[sector] = true;
        directory_bytes.append(
            bytes_.substr(static_cast<std::size_t>(sector + 1) * sector_size_, sector_size_));
        sector = fat_[sector];
    }
    for (std::size_t at = 0; at + 128 <= directory_bytes.size(); at += 128) {
        DirectoryEntry entry;
        const std::uint16_t name_bytes = u16(directory_bytes, at + 64);
        if (name_bytes > 64 || name_bytes % 2 != 0)
            return bad("directory entry name length is invalid");
        for (std::size_t i = 0; i + 2 < name_bytes; i += 2) {
            entry.name.push_back(static_cast<char16_t>(u16(directory_bytes, at + i)));
        }
        entry.type = static_cast<std::uint8_t>(directory_bytes[at + 66]);
        entry.left = u32(directory_bytes, at + 68);
        entry.right = u32(directory_bytes, at + 72);
        entry.child = u32(directory_bytes, at + 76);
        entry.start = u32(directory_bytes, at + 116);
        entry.size = u64(directory_bytes, at + 120);
        if (sector_size_ == 512) entry.size &= 0xffffffff;  // version 3: high half is undefined
        directory_.push_back(std::move(entry));
    }
    if (directory_.empty() || directory_[0].type != kTypeRoot)
        return bad("no root directory entry");
    return Status::ok();
}

Status CompoundFile::load_mini_stream() {
    const DirectoryEntry& root = directory_[0];
    if (root.size == 0) return Status::ok();
    auto stream = read_chain(root.start, root.size, /*mini=*/false);
    if (!stream.is_ok()) return stream.status();
    mini_stream_ = std::move(stream).value();

    std::vector<bool> seen(sector_count_, false);
    std::uint32_t sector = first_mini_fat_sector_;
    for (std::uint32_t n = 0; n < mini_fat_sectors_; ++n) {
        if (sector >= sector_count_ || sector >= fat_.size())
            return bad("MiniFAT chain leaves the file");
        if (seen[sector]) return bad("MiniFAT chain loops");
        seen[sector] = true;
        const std::size_t base = static_cast<std::size_t>(sector + 1) * sector_size_;
        for (std::uint32_t i = 0; i < sector_size_ / 4; ++i)
            mini_fat_.push_back(u32(bytes_, base + 4 * i));
        sector = fat_[sector];
    }
    return Status::ok();
}

Status CompoundFile::collect_root_children() {
    // In-order walk of the root's red-black tree, iterative, each entry visited at most once.
    std::vector<bool> visited(directory_.size(), false);
    std::vector<std::uint32_t> stack;
    std::uint32_t node = directory_[0].child;
    while (node != kNoStream || !stack.empty()) {
        while (node != kNoStream) {
            if (node >= directory_.size())
                return bad("directory tree points outside the directory");
            if (visited[node]) return bad("directory tree has a cycle");
            visited[node] = true;
            stack.push_back(node);
            node = directory_[node].left;
        }
        node = stack.back();
        stack.pop_back();
        const DirectoryEntry& entry = directory_[node];
        if (entry.type == kTypeStream || entry.type == kTypeStorage) {
            root_entries_.push_back(
                {utf16_to_utf8(entry.name), entry.type == kTypeStream, entry.size});
            root_entry_ids_.push_back(node);
        } else {
            return bad("directory tree holds an entry of type " + std::to_string(entry.type));
        }
        node = entry.right;
    }
    return Status::ok();
}

Result<std::string> CompoundFile::read_root_stream(std::string_view name) const {
    for (std::size_t i = 0; i < root_entries_.size(); ++i) {
        const DirectoryEntry& entry = directory_[root_entry_ids_[i]];
        if (entry.type != kTypeStream) continue;
        const std::string& entry_name = root_entries_[i].name;
        if (entry_name.size() != name.size() ||
            !std::equal(entry_name.begin(), entry_name.end(), name.begin(), [](char a, char b) {
                return upper(static_cast<unsigned char>(a)) == upper(static_cast<unsigned char>(b));
            })) {
            continue;
        }
        return read_chain(entry.start, entry.size, entry.size < mini_cutoff_);
    }
    return Status::not_found("compound file has no stream " + std::string(name))
        .with_reason("not_encrypted_office_file");
}

}  // namespace kakitome::office
