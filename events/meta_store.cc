#include "events/meta_store.h"

#include <rocksdb/db.h>

#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

Status check_key(std::string_view key) {
    const auto colon = key.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return Status::invalid_argument("meta keys are namespaced, like imap:..., not " +
                                        std::string(key));
    }
    return Status::ok();
}

}  // namespace

Result<std::optional<std::string>> MetaStore::get(std::string_view key) const {
    KAKITOME_RETURN_IF_ERROR(check_key(key));
    std::string value;
    auto got =
        database_->db()->Get(rocksdb::ReadOptions(), database_->meta(), std::string(key), &value);
    if (got.IsNotFound()) return std::optional<std::string>{};
    if (!got.ok()) return from_rocksdb(got, "reading meta " + std::string(key));
    return std::optional<std::string>(std::move(value));
}

Status MetaStore::put(std::string_view key, std::string_view value) {
    KAKITOME_RETURN_IF_ERROR(check_key(key));
    rocksdb::WriteOptions options;
    options.sync = true;
    return from_rocksdb(
        database_->db()->Put(options, database_->meta(), std::string(key), std::string(value)),
        "writing meta " + std::string(key));
}

}  // namespace kakitome
