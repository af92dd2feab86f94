// Small named values in the `meta` column family: positions of pollers and projections, and
// the outbox's pending mails with their position ("outbox:state": small unless mail piles up).
// Keys are namespaced ("imap:...", "projection:...") and never collide with the store's "head".
// Writes are synced. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/base/status.h"
#include "events/database.h"

namespace kakitome {

class MetaStore {
  public:
    explicit MetaStore(std::shared_ptr<Database> database) : database_(std::move(database)) {}
    // invalid_argument for keys without a "namespace:" prefix.
    Result<std::optional<std::string>> get(std::string_view key) const;
    Status put(std::string_view key, std::string_view value);

  private:
    std::shared_ptr<Database> database_;
};

}  // namespace kakitome
