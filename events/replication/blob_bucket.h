// BlobBucket: the blobs of a replicated log in a JetStream stream beside the log (R3,
// docs/replication.md). A blob is stored sealed, in chunks of 1 MiB on subjects
// `<prefix>.<id>.<index>` (one message per subject), the first chunk saying how many there are;
// erasing a blob purges its subjects. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "events/blob_store.h"
#include "events/replication/nats_connection.h"

namespace kakitome::replication {

class BlobBucket final : public BlobReplica {
  public:
    // Opens (creating when missing) stream `name`. The connection must outlive the bucket.
    static Result<std::unique_ptr<BlobBucket>> open(NatsConnection& connection,
                                                    const std::string& name, int replicas);

    Status put(std::string_view blob_id, std::string_view sealed) override;
    Result<std::optional<std::string>> get(std::string_view blob_id) override;
    Status erase(std::string_view blob_id) override;

  private:
    BlobBucket(NatsConnection& connection, std::string name)
        : connection_(connection), name_(std::move(name)), prefix_("kakitome-blobs." + name_) {}
    std::string subject(std::string_view blob_id, std::size_t index) const;
    NatsConnection& connection_;
    std::string name_;
    std::string prefix_;
};

}  // namespace kakitome::replication
