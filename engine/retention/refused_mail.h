// RefusedMail: a mail that reached no application — refused at the door (MailRejected) or of
// another subject (UnrelatedMailReceived) — folded from its message stream (message-<hash>),
// for the retention policy: when it came, what of it is stored, whether an answer to its
// sender is still being delivered, whether it was erased.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event_store.h"

namespace kakitome::retention {

struct RefusedMail {
    std::string stream;
    std::string kind;  // "refused" | "unrelated"
    StreamVersion version{0};
    std::int64_t received_at_ms = 0;
    std::vector<std::string> raw_blobs;
    std::vector<std::string> mails_in_flight;  // the answer, queued and not yet sent
    bool erased = false;                       // MessageRetentionErased
};

// nullopt for the message stream of any other mail: one that became part of an application (its
// data is erased with the application's), or a password held for a form still to come (not
// under retention yet: docs/operations.md).
Result<std::optional<RefusedMail>> load_refused_mail(const EventStore& store,
                                                     const std::string& stream);

}  // namespace kakitome::retention
