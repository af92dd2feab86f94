#include "engine/form/zip_archive.h"

#include <zip.h>

#include <algorithm>

namespace kakitome::form {

struct ZipArchive::Handle {
    zip_t* archive = nullptr;
    ~Handle() {
        if (archive) zip_discard(archive);
    }
};

ZipArchive::~ZipArchive() = default;
ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;

namespace {

Status zip_bomb(const std::string& message) {
    return Status::resource_exhausted(message).with_reason("zip_bomb");
}

}  // namespace

Result<ZipArchive> ZipArchive::open(std::string_view bytes, const ZipLimits& limits) {
    if (bytes.size() < 4 || bytes.substr(0, 2) != "PK") {
        return Status::invalid_argument("not a zip archive (an xlsx file is a zip)")
            .with_reason("not_a_zip");
    }
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) return Status::internal("cannot create zip source");
    zip_t* raw = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!raw) {
        zip_source_free(source);
        std::string message = zip_error_strerror(&error);
        zip_error_fini(&error);
        return Status::invalid_argument("broken zip archive: " + message).with_reason("bad_zip");
    }
    zip_error_fini(&error);
    ZipArchive archive;
    archive.handle_ = std::make_unique<Handle>();
    archive.handle_->archive = raw;
    archive.limits_ = limits;

    const zip_int64_t count = zip_get_num_entries(raw, 0);
    if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_entries) {
        return zip_bomb("the archive has " + std::to_string(count) + " entries");
    }
    std::uint64_t total = 0;
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(raw, static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
            !(stat.valid & ZIP_STAT_NAME) || !(stat.valid & ZIP_STAT_SIZE) ||
            !(stat.valid & ZIP_STAT_COMP_SIZE)) {
            return Status::invalid_argument("unreadable zip directory entry")
                .with_reason("bad_zip");
        }
        total += stat.size;
        if (total > limits.max_total_uncompressed) {
            return zip_bomb("entries expand to more than " +
                            std::to_string(limits.max_total_uncompressed) + " bytes");
        }
        if (stat.size >= limits.ratio_check_from_bytes &&
            stat.size > limits.max_ratio * std::max<zip_uint64_t>(stat.comp_size, 1)) {
            return zip_bomb(std::string(stat.name) + " expands more than " +
                            std::to_string(limits.max_ratio) + ":1");
        }
        archive.names_.emplace_back(stat.name);
    }
    return archive;
}

bool ZipArchive::contains(const std::string& name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
}

Result<std::string> ZipArchive::read(const std::string& name) const {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(handle_->archive, name.c_str(), 0, &stat) != 0) {
        return Status::not_found("the package has no part " + name).with_reason("bad_xlsx");
    }
    zip_file_t* file = zip_fopen_index(handle_->archive, stat.index, 0);
    if (!file)
        return Status::invalid_argument("cannot open " + name + " in the zip")
            .with_reason("bad_zip");
    // Read at most the declared size plus one byte: more data than declared is a lie we refuse.
    std::string out;
    const std::uint64_t allowance =
        std::min<std::uint64_t>(stat.size, limits_.max_total_uncompressed);
    out.resize(static_cast<std::size_t>(allowance) + 1);
    std::uint64_t filled = 0;
    while (filled < out.size()) {
        const zip_int64_t n = zip_fread(file, out.data() + filled, out.size() - filled);
        if (n < 0) {
            zip_fclose(file);
            return Status::invalid_argument("corrupt data in " + name).with_reason("bad_zip");
        }
        if (n == 0) break;
        filled += static_cast<std::uint64_t>(n);
    }
    zip_fclose(file);
    if (filled > allowance) return zip_bomb(name + " holds more data than its declared size");
    out.resize(static_cast<std::size_t>(filled));
    return out;
}

}  // namespace kakitome::form
