// InboxProjection: the mails that went nowhere — refused by intake (with the reason and the
// state of the automatic answer, refusal_answer.h), with another subject, or a second mail
// under a Message-ID already taken — newest first. One row per such mail, keyed by its message
// stream (and the stream version for a reused Message-ID, whose stream already holds a mail).
// Rows hold no personal data: no sender, no subject, no file, and not intake's free-text detail
// (it can quote a file name or a content type the sender chose); the reason code says why.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace kakitome {

struct InboxEntry {
    std::string id;    // the row key
    std::string kind;  // refused | unrelated | message_id_reused
    std::string received_at;
    std::string reason;  // refused: intake's reason code
    std::uint64_t size = 0;
    std::string source;  // imap | api | file
    // The automatic answer: "" (none recorded), queued, sent, retrying, failed, or why none
    // was sent (not_fixable, automatic_mail, ...).
    std::string answer;
    std::string answer_mail_id;
    std::string answer_next_attempt_at;  // retrying
};

std::string inbox_entry_to_json(const InboxEntry& entry);

class InboxProjection : public Projection {
  public:
    std::string name() const override { return "inbox"; }
    // 2: rows no longer carry intake's detail, which could quote a file name.
    int row_format() const override { return 2; }
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { entries_.erase(key); }
    // Newest first, then by id.
    std::vector<InboxEntry> entries() const;

  private:
    std::map<std::string, InboxEntry> entries_;
};

}  // namespace kakitome
