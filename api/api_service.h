// ApiService: the REST API's behaviour (docs/design.md §5 and §6), independent of the HTTP
// transport: a request value in, a response value out. Thread-safe; called from every I/O
// thread at once.
//
// Guarantees, for every response, whatever the route or outcome:
// - `Cache-Control: no-store`, `Pragma: no-cache`, `Vary: Authorization` and an
//   `X-Request-Id` (the client's, when it is a sane token, else a fresh one). No response is
//   ever shared-cacheable: that was the defect behind the original leak.
// - A response that carries PII is preceded by a durable `PiiDisclosed` event naming the
//   principal, role, request id, endpoint, remote address, applications and fields; if that
//   append fails the answer is 503 and the PII is not sent.
// - Errors are RFC 9457 problem+json with a stable `type`.
// - 401 without a valid bearer token, 403 for a role without the right; never someone else's
//   data with a 200.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/auth/principals.h"
#include "api/http/http_types.h"
#include "api/services.h"
#include "engine/intake/intake_service.h"
#include "engine/workflow/workflow_config.h"
#include "engine/workflow/workflow_worker.h"
#include "events/ledger.h"
#include "projections/disclosure_index.h"
#include "projections/read_models.h"

namespace kakitome::api {

// What the API uses, all required: build it with dependencies_of(services) (what `serve` does).
// The struct exists so that a test can put one faulty part in (a store that refuses appends)
// while everything else comes from the same composition.
struct ApiDependencies {
    EventStore& store;
    DataKeyVault& vault;
    intake::IntakeService& intake;
    workflow::WorkflowCommands& commands;
    const workflow::WorkflowConfig& config;
    auth::PrincipalRegistry& principals;
    const WorkflowWorker& worker;
    const ReadModels& read_models;
    const Ledger& ledger;
    const DisclosureIndex& disclosures;
    BackupJob& backups;
    const witness::CheckpointWitnessing& witnessing;
    retention::RetentionSweep& retention;
    std::function<std::int64_t()> clock_ms;
    const std::filesystem::path& ledger_key_file;
    // A node of a replicated log (docs/replication.md); nullptr when the store is embedded.
    const replication::ReplicationNode* replication = nullptr;
};

ApiDependencies dependencies_of(Services& services);

class ApiService {
  public:
    explicit ApiService(Services& services) : ApiService(dependencies_of(services)) {}
    explicit ApiService(ApiDependencies dependencies);
    ~ApiService();
    // Answers through `reply`, called once: before this returns for most answers; for one that
    // carries PII, from the store's commit thread once its disclosure is durable — no thread
    // waits meanwhile. `request` must stay valid until then. The destructor waits for every reply
    // still owed.
    void handle(const http::HttpRequest& request, std::function<void(http::HttpResponse)> reply);
    // On the request line and headers alone (body empty): the refusal (404, 405, 401, 403,
    // 400 unknown_query_parameter) that handle() would give, or nullopt. The server asks this
    // before it reads a body (HttpServerOptions::admit).
    std::optional<http::HttpResponse> admit(const http::HttpRequest& headers);
    // Work a first request would otherwise wait for (opening every organisation name for the
    // search, seconds at 100k applications); `serve` runs it on a thread of its own at start.
    Status warm_up();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace kakitome::api
