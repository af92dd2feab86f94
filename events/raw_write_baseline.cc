#include "events/raw_write_baseline.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace kakitome {

struct RawWriteBaseline::Impl {
    std::unique_ptr<rocksdb::DB> db;
};

RawWriteBaseline::RawWriteBaseline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawWriteBaseline::~RawWriteBaseline() = default;

Result<std::unique_ptr<RawWriteBaseline>> RawWriteBaseline::open(
    const std::filesystem::path& directory) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_background_jobs = 2;  // as Database::open
    rocksdb::DB* raw = nullptr;
    auto opened = rocksdb::DB::Open(options, directory.string(), &raw);
    if (!opened.ok()) return Status::io_error(opened.ToString());
    auto impl = std::make_unique<Impl>();
    impl->db.reset(raw);
    return std::unique_ptr<RawWriteBaseline>(new RawWriteBaseline(std::move(impl)));
}

bool RawWriteBaseline::write(const std::vector<std::string_view>& keys, std::string_view value,
                             bool sync) {
    rocksdb::WriteBatch batch;
    for (const auto key : keys)
        batch.Put(rocksdb::Slice(key.data(), key.size()),
                  rocksdb::Slice(value.data(), value.size()));
    rocksdb::WriteOptions options;
    options.sync = sync;
    return impl_->db->Write(options, &batch).ok();
}

}  // namespace kakitome
