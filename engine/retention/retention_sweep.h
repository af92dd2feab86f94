// RetentionSweep: applies the retention policy (engine/workflow/retention_policy.h,
// retention_schedule.h) to every application.
//
// review() says what a sweep would do and why, changing nothing (`kakitome retention --dry-run`,
// GET /v1/retention). run() does it: each application that is due and not held gets
// RetentionErased (after UrlRevoked of a live link) appended at the version it was judged on,
// after judging it again under incident::holds_lock(), so a legal hold placed meanwhile wins
// (the append conflicts) and an incident reported meanwhile holds it.
// Then the batch's data keys and its raw mails and attachments are destroyed with one pass and
// one compaction (engine/workflow/application_erasure.h), and any erasure a crash interrupted
// (an erased application whose key is still live) is finished.
//
// Held, never erased: an application on a supervisor's legal hold (LegalHoldPlaced), or in the
// scope of an open incident (incident_holds.h).
// Mails that reached no application (refused at the door, or of another subject) are kept by the
// same policy from the day they came, and erased as MessageRetentionErased on their stream.
// run() is serialized internally; review() and totals() may run from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/domain/application_state.h"
#include "engine/retention/refused_mail.h"
#include "engine/retention/retention_schedule.h"
#include "engine/workflow/retention_policy.h"
#include "engine/workflow/workflow_config.h"
#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::retention {

// erase: due and not held; held: due, but a legal hold or an open incident keeps it; waiting:
// due, but a mail to the applicant is still being delivered (its key must outlive the mail).
enum class RetentionAction { erase, held, waiting, not_due };
std::string_view action_name(RetentionAction action);  // "erase", "held", "waiting", "not_due"

struct RetentionVerdict {
    std::string application;
    domain::ApplicationState state = domain::ApplicationState::none;
    StreamVersion version{0};  // the stream version it was judged on
    RetentionDue due;
    RetentionAction action = RetentionAction::not_due;
    std::vector<std::string> holds;  // "legal_hold: <reason>", "incident:<id>"
};

// A mail that reached no application (refused_mail.h): closed when it came; only an incident
// not yet scoped holds it.
struct MailVerdict {
    std::string stream;  // message-<hash>
    std::string kind;    // refused | unrelated
    StreamVersion version{0};
    RetentionDue due;
    RetentionAction action = RetentionAction::not_due;
    std::vector<std::string> holds;
};

struct RetentionReview {
    std::string policy;
    std::int64_t as_of_ms = 0;
    std::vector<RetentionVerdict> applications;  // not erased yet, in the order of the actions
    std::vector<std::string> erased;             // erased before (by policy or by a supervisor)
    std::vector<MailVerdict> mails;              // not erased yet, in the order of the actions
    std::vector<RefusedMail> erased_mails;       // erased before
    std::size_t count(RetentionAction action) const;
    std::size_t count_mails(RetentionAction action) const;
    std::string to_json() const;
};

struct RetentionPass {
    std::vector<std::string> erased;        // applications erased by this pass
    std::vector<std::string> erased_mails;  // message streams erased by this pass
    std::size_t held = 0;
    std::size_t conflicts = 0;  // a decision landed while it was erased: judged again next time
    std::size_t finished = 0;   // interrupted erasures completed
    std::uint64_t bytes_reclaimed = 0;
    std::string to_json() const;
};

// failed_precondition (retention_not_configured) when the policy is not enabled.
Status require_policy(const workflow::RetentionPolicy& policy);
Result<RetentionReview> review_retention(const EventStore& store,
                                         const workflow::RetentionPolicy& policy,
                                         const workflow::WorkflowConfig& config,
                                         std::int64_t now_ms);

class RetentionSweep {
  public:
    RetentionSweep(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                   const workflow::WorkflowConfig& config, workflow::RetentionPolicy policy,
                   std::function<std::int64_t()> clock_ms);

    const workflow::RetentionPolicy& policy() const { return policy_; }
    Result<RetentionReview> review() const;
    Result<RetentionPass> run();
    // Enabled, and check_every_minutes since the last run started (or never run).
    bool due(std::int64_t now_ms) const;

    struct Totals {
        std::uint64_t erased = 0, mails_erased = 0, bytes_reclaimed = 0, held = 0, failures = 0;
        std::int64_t last_run_ms = 0;  // 0: never
    };
    Totals totals() const;

  private:
    Result<RetentionPass> sweep(std::int64_t now_ms);
    EventStore& store_;
    BlobStore& blobs_;
    DataKeyVault& vault_;
    const workflow::WorkflowConfig& config_;
    workflow::RetentionPolicy policy_;
    std::function<std::int64_t()> clock_ms_;
    std::mutex running_;
    std::atomic<std::uint64_t> erased_{0}, mails_erased_{0}, bytes_reclaimed_{0}, held_{0},
        failures_{0};
    std::atomic<std::int64_t> last_run_ms_{0};
};

}  // namespace kakitome::retention
