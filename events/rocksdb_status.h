// Converts rocksdb::Status to kakitome::Status. Only for .cc files: it pulls in RocksDB headers.
#pragma once

#include <rocksdb/status.h>

#include <string>

#include "events/base/status.h"

namespace kakitome {

inline Status from_rocksdb(const rocksdb::Status& status, const std::string& doing) {
    if (status.ok()) return Status::ok();
    std::string message = doing + ": " + status.ToString();
    if (status.IsNotFound()) return Status::not_found(std::move(message));
    if (status.IsCorruption()) return Status::corruption(std::move(message));
    if (status.IsInvalidArgument()) return Status::invalid_argument(std::move(message));
    return Status::io_error(std::move(message));
}

}  // namespace kakitome
