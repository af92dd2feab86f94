// WorkflowCommands: what staff (and the API) can do to an application (docs/design.md §4).
//
// Each command loads the application's stream, checks that its state allows the command, and
// appends its events with the loaded version as the expected version, so two staff acting at
// once cannot both succeed on a stale view (the loser gets StatusCode::conflict). A command
// the state does not allow fails with StatusCode::failed_precondition, reason
// "illegal_transition", and a message naming the current state. Mails to the applicant are
// queued in the same atomic append (transactional outbox); nothing is sent here.
//
// Commands and their arguments (JSON object):
//   assign             {"assignee"}                 any state but erased; an active staff member
//   approve            {"justification"?}           validated; a rejected application, or any
//                                                   after the usage period, needs a justification
//   reject             {"codes": [...], "message"?} before a URL is issued; mails the reasons
//                                                   (known codes only: unknown_reason_code)
//   request_correction {"codes"?: [...], "message"?} rejected, validated, password_mismatch
//   withdraw           {"reason"}                   any open state; revokes a live URL
//   reissue_url        {"reason"?}                  after approval; revokes the live URL
//   revoke_url         {"reason"}                   while a URL is live
//   erase              {"reason"}                   any state but on legal hold; destroys the
//                                                   data key
//   hold               {"reason"}                   not on hold; retention and erase wait
//   release_hold       {"reason"}                   on hold
// Thread-safe: concurrency is settled by the store's expected-version check.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/workflow/application_record.h"
#include "engine/workflow/staff_directory.h"
#include "engine/workflow/workflow_config.h"
#include "events/blob_store.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::workflow {

struct CommandRequest {
    std::string application;
    std::string command;
    std::string actor;  // principal id
    std::string arguments_json = "{}";
    std::optional<StreamVersion> expected_version;  // HTTP If-Match; the loaded version otherwise
    std::string correlation;                        // request id
    // When set (HTTP Idempotency-Key, scoped to the principal by the caller): the outcome is
    // recorded on this stream in the same transaction, and a repeat returns it, appending nothing.
    std::string idempotency_stream;
    // What the key was first used for (a hash of method, path and canonical body): a repeat with
    // another request under the same key is refused (idempotency_key_reused), never replayed.
    std::string request_fingerprint;
};

struct CommandOutcome {
    std::string application;
    std::string state;
    StreamVersion version;
    std::vector<std::string> events;  // types appended, in order
    bool repeated = false;            // answered from the idempotency record
};

const std::vector<std::string>& command_names();

// True once the campaign's usage period is over (JST): approving then needs a justification
// (and, through the API, a supervisor).
// What an operator may not decide alone (docs/api.md's role table): revoke_url, erase, hold
// and release_hold always; approve when it overrides a rejection or comes after the usage period.
// Returns why a supervisor is needed, or nullopt. `record` (the application as the caller will act
// on it) is read only for approve; nullptr when it is not known.
std::optional<std::string> supervisor_needed(const std::string& command,
                                             const ApplicationRecord* record,
                                             const WorkflowConfig& config, std::int64_t now_ms);

bool usage_period_ended(const WorkflowConfig& config, std::int64_t now_ms);

class WorkflowCommands {
  public:
    // `erase` deletes the application's raw mails and attachments from `blobs` (those no other
    // application refers to), so nothing of it stays readable with the master key either.
    // `assign` names only principals `staff` knows as active operators or supervisors.
    WorkflowCommands(EventStore& store, BlobStore& blobs, DataKeyVault& vault,
                     StaffDirectory& staff, const WorkflowConfig& config,
                     std::function<std::int64_t()> clock_ms);

    Result<CommandOutcome> execute(const CommandRequest& request);
    // The outcome recorded for the request's Idempotency-Key (its idempotency_stream), or nullopt
    // when the key is new or absent. A key recorded for a different request is an error
    // (idempotency_key_reused). execute() answers a repeat the same way; callers that check who
    // may decide ask first, so a retry is answered with what was decided then.
    std::optional<Result<CommandOutcome>> recorded_outcome(const CommandRequest& request) const;

  private:
    // What every command's plan reads: the request, the loaded record, its JSON arguments and
    // the clock's now.
    struct CommandInput {
        const CommandRequest& request;
        const ApplicationRecord& record;
        const nlohmann::json& arguments;
        std::int64_t now;
        std::string text(const char* key) const;  // "" when absent or not a string
        Status require(const char* key) const;    // missing_argument when text(key) is ""
    };
    // The events a command appends to the application, and the other streams it writes.
    struct Plan {
        std::vector<NewEvent> events;
        std::vector<StreamAppend> extra_streams;
    };
    Result<Plan> plan_assign(const CommandInput& input);
    Result<Plan> plan_link(const CommandInput& input);
    Result<Plan> plan_rejection(const CommandInput& input);
    Result<Plan> plan_withdraw(const CommandInput& input);
    Result<Plan> plan_revoke(const CommandInput& input);
    Result<Plan> plan_erase(const CommandInput& input);
    Result<Plan> plan_legal_hold(const CommandInput& input);
    // One try of a command on the application as it is now (execute retries when only a report
    // moved the stream in between).
    Result<CommandOutcome> decide(const CommandRequest& request, const nlohmann::json& arguments);
    Result<CommandOutcome> commit(const CommandInput& input, Plan plan);
    EventStore& store_;
    BlobStore& blobs_;
    DataKeyVault& vault_;
    StaffDirectory& staff_;
    const WorkflowConfig& config_;
    std::function<std::int64_t()> clock_ms_;
};

// The parts of a transaction that issue a new download link: UrlIssued (+ UrlRevoked of the
// live one), the token's own stream, and the URL notice mail. Used by approve and reissue_url.
struct IssuedLink {
    std::vector<NewEvent> application_events;
    StreamAppend token_stream;
};
Result<IssuedLink> issue_link(const ApplicationRecord& record, DataKeyVault& vault,
                              const WorkflowConfig& config, std::int64_t now_ms,
                              const std::string& actor, const std::string& correlation);

}  // namespace kakitome::workflow
