// ImapPoller: takes mail from an IMAP mailbox with libcurl and hands each message to intake.
//
// Messages are fetched by UID in ascending order. After each message is ingested, the
// (UIDVALIDITY, last UID) position is written to `meta`, so a restart neither loses nor repeats
// mail: a crash between ingest and the position write re-fetches one message, which intake
// recognises as a duplicate (same Message-ID, same bytes). When the server's UIDVALIDITY
// changes, UIDs are no longer comparable and the mailbox is read again from the start (intake's
// duplicate detection again keeps that from adding events). Messages are never deleted or
// flagged on the server: the mailbox is opened read-only (EXAMINE).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/intake/intake_service.h"
#include "events/meta_store.h"

namespace kakitome::intake {

struct ImapOptions {
    std::string url;  // imap://user:password@host:port/INBOX or imaps://...
    bool verify_tls = true;
    long timeout_seconds = 60;
};

struct ImapPosition {
    std::uint64_t uid_validity = 0;
    std::uint64_t last_uid = 0;
};

class ImapPoller {
  public:
    ImapPoller(IntakeService& intake, MetaStore& meta, ImapOptions options);
    ~ImapPoller();

    // Fetches and ingests every new message. on_mail is called after each one is recorded.
    // Returns how many messages were ingested.
    Result<std::size_t> poll_once(
        const std::function<void(std::uint64_t uid, const IngestOutcome&)>& on_mail = {});

    Result<ImapPosition> position() const;
    // The mailbox URL without the password: the key of the stored position.
    const std::string& mailbox() const { return mailbox_; }

  private:
    Result<std::string> request(const std::string& url, const std::string& command,
                                std::size_t max_bytes);

    IntakeService& intake_;
    MetaStore& meta_;
    ImapOptions options_;
    std::string mailbox_;
    std::string base_url_;  // scheme://host:port/ without the mailbox
    std::string mailbox_name_;
    std::string user_, password_;
    void* curl_ = nullptr;  // one handle, so the IMAP connection is reused between requests
};

}  // namespace kakitome::intake
