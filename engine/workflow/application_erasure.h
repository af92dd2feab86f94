// What erasing applications destroys, shared by the supervisor's `erase` command and the
// retention policy (engine/retention/): each application's data key (journaled before it goes,
// events/data_key_vault.h), so its sealed PII is unreadable, and its raw mails and attachments
// that no other application refers to, so nothing of it stays readable with the master key
// either. The event that records an erasure must be durable before this runs; running it again
// is harmless (a key already destroyed, a blob already deleted), which is how an erasure
// interrupted by a crash is finished: the blobs go first and the keys last, so an erased
// application whose key is still live is exactly one whose erasure is unfinished.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::workflow {

struct DestroyedData {
    std::size_t keys_destroyed = 0;     // keys that were still live
    std::size_t blobs_deleted = 0;      // raw mails and attachments
    std::uint64_t bytes_reclaimed = 0;  // by which the blob files shrank (BlobStore::erase)
};

// One pass over the log and one compaction for the whole batch, however many applications.
Result<DestroyedData> destroy_application_data(const EventStore& store, BlobStore& blobs,
                                               DataKeyVault& vault,
                                               const std::vector<std::string>& applications);

// The same for mails that reached no application (message-<hash> streams: refused at the door,
// or of another subject): their raw mail, unless an application still refers to the same
// bytes, then the key that sealed the answer to the sender (domain::data_key_of).
Result<DestroyedData> destroy_mail_data(const EventStore& store, BlobStore& blobs,
                                        DataKeyVault& vault,
                                        const std::vector<std::string>& message_streams);

// The blobs an application's own events name (FormMailReceived, PasswordMailReceived).
Result<std::vector<std::string>> application_blob_ids(const EventStore& store,
                                                      const std::string& application);

}  // namespace kakitome::workflow
