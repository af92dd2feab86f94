// MailOutbox: delivers queued mail (the transactional outbox of docs/design.md §4).
//
// A command appends `MailQueued` in the same transaction as its decision (intake does the same
// for its answer to a refused mail, in the mail's message stream); the outbox then sends
// it over SMTP and appends `MailSent {mail_id, attempt}`, or `MailFailed {mail_id, attempt,
// error, next_attempt_at, final}` and tries again later with exponential backoff (30 s doubling,
// capped at 1 h; gives up after `max_attempts`). Which mails are pending follows from the log
// alone, so a restart loses nothing. Delivery is at-least-once: a crash between the SMTP
// server's acceptance and `MailSent` sends the mail again with the same Message-ID, which
// recipients and the secretariat's archive recognise as the same mail.
// When a delivery fails for a reason that is not the mail's (server down), the pass stops, so a
// dead server is not hammered once per queued mail.
// The pending mails and the position (and its event's hash) they were folded through are stored
// together (one value in the meta family, "outbox:state", at most every 10 s or 100,000
// events), so a start folds only what came after instead of the whole log (14 s at 10M events).
// A state that is unreadable, or was folded from another history (beyond the head, another hash
// there), is dropped and the log folded again. Not thread-safe: one outbox per process.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "engine/mail/smtp_sender.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::mail {

struct OutboxOptions {
    SmtpSettings smtp;
    int max_attempts = 12;
    std::int64_t first_backoff_ms = 30'000;
    std::int64_t max_backoff_ms = 3'600'000;
};

struct DeliveryReport {
    int sent = 0;
    int failed = 0;
    int pending = 0;  // still queued after this pass
};

class MailOutbox {
  public:
    MailOutbox(EventStore& store, const DataKeyVault& vault, OutboxOptions options,
               std::function<std::int64_t()> clock_ms);

    // Loads the stored state on the first call, then folds events after it.
    Status catch_up();
    // Catches up, then tries every mail whose next attempt is due; stores the state when due.
    Result<DeliveryReport> deliver_due();
    std::size_t pending() const { return pending_.size(); }
    Seq position() const { return position_; }

  private:
    Status load_state();
    Status store_state_when_due();
    struct PendingMail {
        std::string stream;  // where MailQueued is, and MailSent / MailFailed go
        std::string sealed;
        std::string message_id;
        int attempts = 0;
        std::int64_t next_attempt_ms = 0;
    };
    EventStore& store_;
    const DataKeyVault& vault_;
    OutboxOptions options_;
    std::function<std::int64_t()> clock_ms_;
    std::map<std::string, PendingMail> pending_;  // by mail_id
    Seq position_{0};
    bool loaded_ = false;
    Seq stored_position_{0};
    std::int64_t stored_at_ms_ = 0;
};

}  // namespace kakitome::mail
