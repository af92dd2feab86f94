// The operator routes: Prometheus metrics and token creation.
#include "api/service_impl.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "api/routes.h"
#include "engine/domain/access_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/download/download_service.h"
#include "engine/incident/incident_commands.h"
#include "engine/workflow/applicant_contact.h"
#include "engine/workflow/workflow_commands.h"
#include "events/base/aead.h"
#include "events/base/base64.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "events/table_memory.h"
#include "projections/incident_review.h"

namespace kakitome::api {

// How long the worker may go without a good pass before this process is not ready: it passes at
// least once a second, so thirty seconds idle is a stuck worker or a store that refuses every
// write. The disk check uses the smaller reserve that staff's commands still write within.
constexpr std::int64_t kWorkerStaleMs = 30'000;
constexpr std::int64_t kWorkerPassTooLongMs = 300'000;

HttpResponse ApiService::Impl::readiness() {
    json checks = json::object();
    auto check = [&](const char* name, const Status& status) {
        checks[name] =
            status.is_ok() ? json{{"ok", true}} : json{{"ok", false}, {"detail", status.message()}};
        return status.is_ok();
    };
    bool ready = true;
    ready &= check(
        "store", d.store.database() ? Status::ok() : Status::unavailable("the store is not open"));
    // A pass may run long while the SMTP server stalls (30 s a mail): running is turning, up
    // to five minutes; idle, the last pass must have ended well within 30 s (it passes every
    // second).
    const auto progress = d.worker.progress();
    const std::int64_t now = d.clock_ms();
    const bool running = progress.started_ms > progress.finished_ms;
    ready &=
        check("worker",
              progress.good_ms == 0 ? Status::unavailable("no worker pass yet")
              : running && now - progress.started_ms > kWorkerPassTooLongMs
                  ? Status::unavailable("a worker pass has been running for " +
                                        std::to_string((now - progress.started_ms) / 1000) + " s")
              : !running && now - progress.good_ms > kWorkerStaleMs
                  ? Status::unavailable("the last good worker pass was " +
                                        std::to_string((now - progress.good_ms) / 1000) + " s ago")
                  : Status::ok());
    const auto behind = read_models_behind();
    ready &= check("projections", behind ? Status::unavailable(*behind) : Status::ok());
    // Public route: the reason, not the path or the byte counts (those are in /metrics).
    ready &= check("disk", d.store.database()->check_space(0, Database::WriteKind::record).is_ok()
                               ? Status::ok()
                               : Status::unavailable("less free space than the reserve"));
    // A replicated node: a standby is ready too (it serves reads and refuses writes, saying who
    // writes); the role is what a load balancer routes writes by.
    if (d.replication != nullptr) {
        const auto node = d.replication->status();
        checks["replication"] = {{"ok", true},
                                 {"role", node.primary ? "primary" : "standby"},
                                 {"node", node.node},
                                 {"primary", node.primary ? node.node : node.primary_node},
                                 {"applied", node.applied}};
        if (!node.primary) checks["replication"]["standby_because"] = node.reason;
    }
    // The key is in memory once the ledger is open; readable on disk is what a restart needs.
    std::ifstream key(d.ledger_key_file, std::ios::binary);
    ready &= check("ledger_key",
                   d.ledger.verifier_key().empty() ? Status::unavailable("the ledger cannot sign")
                   : !key.good() ? Status::unavailable("the ledger key file cannot be read")
                                 : Status::ok());
    return json_response(ready ? 200 : 503,
                         {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
}

HttpResponse ApiService::Impl::metrics() {
    std::string out;
    auto line = [&](const std::string& text) { out += text + "\n"; };
    const auto& stats = d.store.statistics();
    line("# HELP kakitome_appends_total Successful appends (transactions) to the event store.");
    line("# TYPE kakitome_appends_total counter");
    line("kakitome_appends_total " + std::to_string(stats.appends.load()));
    line("# TYPE kakitome_append_events_total counter");
    line("kakitome_append_events_total " + std::to_string(stats.events.load()));
    line("# TYPE kakitome_append_failures_total counter");
    line("kakitome_append_failures_total " + std::to_string(stats.failures.load()));
    line("# HELP kakitome_append_latency_seconds Time from append call to durable commit.");
    line("# TYPE kakitome_append_latency_seconds histogram");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < AppendStatistics::kBucketSeconds.size(); ++i) {
        cumulative += stats.buckets[i].load();
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", AppendStatistics::kBucketSeconds[i]);
        line("kakitome_append_latency_seconds_bucket{le=\"" + std::string(bound) + "\"} " +
             std::to_string(cumulative));
    }
    cumulative += stats.buckets.back().load();
    line("kakitome_append_latency_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative));
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(stats.latency_sum_ns.load()) / 1e9);
    line("kakitome_append_latency_seconds_sum " + std::string(sum));
    line("kakitome_append_latency_seconds_count " + std::to_string(cumulative));
    const auto snapshot = d.read_models.queue_snapshot();
    std::size_t open = 0, overdue = 0;
    for (const auto& entry : *snapshot) {
        if (!entry.closed) ++open;
        if (entry.overdue) ++overdue;
    }
    line("# TYPE kakitome_queue_applications gauge");
    line("kakitome_queue_applications{open=\"true\"} " + std::to_string(open));
    line("kakitome_queue_applications{open=\"false\"} " + std::to_string(snapshot->size() - open));
    line("# TYPE kakitome_sla_overdue gauge");
    line("kakitome_sla_overdue " + std::to_string(overdue));
    const auto totals = d.worker.totals();
    line("# TYPE kakitome_mails_sent_total counter");
    line("kakitome_mails_sent_total " + std::to_string(totals.mails_sent));
    line("# TYPE kakitome_mails_failed_total counter");
    line("kakitome_mails_failed_total " + std::to_string(totals.mails_failed));
    line("# TYPE kakitome_timers_fired_total counter");
    line("kakitome_timers_fired_total " + std::to_string(totals.timers_fired));
    line(
        "# HELP kakitome_timers_failing Applications whose due timer could not fire at the "
        "worker's passes, waiting ones included (retried after a backoff of up to 5 minutes; the "
        "log names them).");
    line("# TYPE kakitome_timers_failing gauge");
    line("kakitome_timers_failing " + std::to_string(totals.timers_failing));
    line("# TYPE kakitome_pii_disclosures_total counter");
    line("kakitome_pii_disclosures_total " + std::to_string(disclosures.load()));
    line("# TYPE kakitome_http_responses_total counter");
    for (int i = 1; i <= 5; ++i) {
        line("kakitome_http_responses_total{class=\"" + std::to_string(i) + "xx\"} " +
             std::to_string(responses_by_class[i].load()));
    }
    line(
        "# HELP kakitome_backup_last_timestamp_seconds When the newest backup was made (0: none).");
    line("# TYPE kakitome_backup_last_timestamp_seconds gauge");
    const auto last_backup = d.backups.last();
    line("kakitome_backup_last_timestamp_seconds " +
         std::to_string(last_backup ? last_backup->created_at_seconds : 0));
    line("# TYPE kakitome_backup_last_bytes gauge");
    line("kakitome_backup_last_bytes " + std::to_string(last_backup ? last_backup->bytes : 0));
    line(
        "# HELP kakitome_witness_refusals_total Checkpoints a witness refused (a fork or "
        "rollback).");
    line("# TYPE kakitome_witness_refusals_total counter");
    line("kakitome_witness_refusals_total " + std::to_string(d.witnessing.refusals()));
    line("# TYPE kakitome_witness_cosigned_size gauge");
    for (const auto& witness : d.witnessing.status())
        line("kakitome_witness_cosigned_size{witness=\"" + witness.name + "\"} " +
             std::to_string(witness.cosigned_size));
    const auto retention = d.retention.totals();
    line(
        "# HELP kakitome_retention_erased_total Applications whose personal data the retention "
        "policy erased.");
    line("# TYPE kakitome_retention_erased_total counter");
    line("kakitome_retention_erased_total " + std::to_string(retention.erased));
    line(
        "# HELP kakitome_retention_mails_erased_total Mails that reached no application (refused, "
        "other subject) the retention policy erased.");
    line("# TYPE kakitome_retention_mails_erased_total counter");
    line("kakitome_retention_mails_erased_total " + std::to_string(retention.mails_erased));
    line(
        "# HELP kakitome_retention_bytes_reclaimed_total Bytes by which erasing their mails and "
        "attachments shrank the blob files.");
    line("# TYPE kakitome_retention_bytes_reclaimed_total counter");
    line("kakitome_retention_bytes_reclaimed_total " + std::to_string(retention.bytes_reclaimed));
    line("# HELP kakitome_retention_held Applications due but held (legal hold, open incident).");
    line("# TYPE kakitome_retention_held gauge");
    line("kakitome_retention_held " + std::to_string(retention.held));
    line("# TYPE kakitome_retention_last_sweep_timestamp_seconds gauge");
    line("kakitome_retention_last_sweep_timestamp_seconds " +
         std::to_string(retention.last_run_ms / 1000));
    line("# TYPE kakitome_retention_failures_total counter");
    line("kakitome_retention_failures_total " + std::to_string(retention.failures));
    line("# TYPE kakitome_backup_failures_total counter");
    line("kakitome_backup_failures_total " + std::to_string(d.backups.failures()));
    // What the store keeps in memory (docs/operations.md, "Memory to plan for"): an operator
    // sizing MemoryMax= sees the parts that can grow against the limits set for them.
    // A store that cannot say is shown as such rather than by missing lines.
    const auto memory = table_memory(*d.store.database());
    const auto gauge = [&](const char* name, const char* help, std::uint64_t TableMemory::*part) {
        line(std::string("# HELP ") + name + " " + help);
        line(std::string("# TYPE ") + name + " gauge");
        line(std::string(name) + " " + (memory.is_ok() ? std::to_string((*memory).*part) : "NaN"));
    };
    gauge("kakitome_store_block_cache_capacity_bytes",
          "What the store's one block cache (data and index blocks) may hold.",
          &TableMemory::block_cache_capacity_bytes);
    gauge("kakitome_store_block_cache_usage_bytes", "What the store's block cache holds.",
          &TableMemory::block_cache_usage_bytes);
    gauge("kakitome_store_block_cache_pinned_bytes",
          "Of what the block cache holds, what is pinned (top-level indexes, level 0's).",
          &TableMemory::block_cache_pinned_bytes);
    gauge("kakitome_store_table_readers_bytes",
          "What the open table files keep beside the block cache.",
          &TableMemory::table_readers_bytes);
    gauge("kakitome_store_memtable_bytes", "Writes held in memory until they are flushed.",
          &TableMemory::memtable_bytes);
    gauge("kakitome_store_table_file_bytes", "What the store's table files take on disk.",
          &TableMemory::table_file_bytes);
    HttpResponse response;
    response.body = out;
    response.set_header("Content-Type", "text/plain; version=0.0.4");
    return response;
}

namespace {

json backup_json(const BackupInfo& backup) {
    json answer{{"backup", backup.id},
                {"created_at", backup.created_at_seconds},
                {"bytes", backup.bytes},
                {"files", backup.files}};
    const json metadata = json::parse(backup.metadata, nullptr, false);
    if (metadata.is_object()) {
        answer["head"] = metadata.value("head", std::uint64_t{0});
        answer["checkpoint_size"] = metadata.value("checkpoint_size", std::uint64_t{0});
    }
    return answer;
}

}  // namespace

HttpResponse ApiService::Impl::backups() {
    if (!d.backups.configured()) return problem_for(d.backups.run().status());
    auto listed = list_backups(d.backups.settings().directory);
    if (!listed.is_ok()) return problem_for(listed.status());
    json items = json::array();
    for (const auto& backup : listed.value()) items.push_back(backup_json(backup));
    return json_response(200, {{"keep", d.backups.settings().keep},
                               {"every_minutes", d.backups.settings().every_minutes},
                               {"backups", items}});
}

HttpResponse ApiService::Impl::create_backup() {
    auto created = d.backups.run();
    if (!created.is_ok()) return problem_for(created.status());
    json answer = backup_json(created.value());
    answer["verified"] = true;
    return json_response(201, answer);
}

HttpResponse ApiService::Impl::retention_review() {
    auto review = d.retention.review();
    if (!review.is_ok()) return problem_for(review.status());
    return json_response(200, json::parse(review->to_json()));
}

HttpResponse ApiService::Impl::run_retention() {
    auto pass = d.retention.run();
    if (!pass.is_ok()) return problem_for(pass.status());
    return json_response(200, json::parse(pass->to_json()));
}

HttpResponse ApiService::Impl::create_token(Context& context) {
    const json body = json::parse(context.request.body, nullptr, false);
    if (!body.is_object() || !body.contains("name") || !body.contains("role") ||
        !body["name"].is_string() || !body["role"].is_string() ||
        (body.contains("pii_access") && !body["pii_access"].is_boolean()) ||
        (body.contains("display_name") && !body["display_name"].is_string()) ||
        (body.contains("expires_in_days") && !body["expires_in_days"].is_number_integer())) {
        return problem(400, "invalid_body",
                       "send {\"name\": ..., \"role\": ..., \"display_name\"?: text, "
                       "\"pii_access\"?: true|false, \"expires_in_days\"?: N}");
    }
    auto role = auth::role_named(body["role"]);
    if (!role)
        return problem(400, "unknown_role",
                       "role must be operator, supervisor, auditor, responder or admin");
    std::optional<std::int64_t> days;
    if (body.contains("expires_in_days")) days = body["expires_in_days"].get<std::int64_t>();
    auto created =
        d.principals.create(body["name"], *role, body.value("pii_access", false),
                            context.principal->name, body.value("display_name", ""), days);
    if (!created.is_ok()) return problem_for(created.status());
    return json_response(201, {{"token", created->token},
                               {"name", created->principal.name},
                               {"role", auth::role_name(*role)},
                               {"display_name", created->principal.display_name},
                               {"pii_access", created->principal.pii_access},
                               {"expires_at", format_rfc3339_ms(created->expires_at_ms)}});
}

HttpResponse ApiService::Impl::list_tokens() {
    json items = json::array();
    for (const auto& listing : d.principals.list()) items.push_back(auth::listing_json(listing));
    return json_response(200, {{"items", items}});
}

HttpResponse ApiService::Impl::revoke_token(Context& context) {
    const json body =
        json::parse(context.request.body.empty() ? "{}" : context.request.body, nullptr, false);
    if (!body.is_object() || (body.contains("reason") && !body["reason"].is_string()))
        return problem(400, "invalid_body", "send {\"reason\"?: text}");
    const std::string& name = context.match.parameters.at("name");
    const Status revoked =
        d.principals.revoke(name, body.value("reason", ""), context.principal->name);
    if (!revoked.is_ok()) return problem_for(revoked);
    return json_response(200, {{"name", name}, {"state", "revoked"}});
}

HttpResponse ApiService::Impl::rotate_token(Context& context) {
    const json body =
        json::parse(context.request.body.empty() ? "{}" : context.request.body, nullptr, false);
    if (!body.is_object() ||
        (body.contains("grace_seconds") && !body["grace_seconds"].is_number_integer()))
        return problem(400, "invalid_body",
                       "send {\"grace_seconds\"?: N} (0: the old token stops now)");
    auto rotated =
        d.principals.rotate(context.match.parameters.at("name"),
                            body.value("grace_seconds", std::int64_t{0}), context.principal->name);
    if (!rotated.is_ok()) return problem_for(rotated.status());
    return json_response(201, {{"token", rotated->token},
                               {"name", rotated->principal.name},
                               {"role", auth::role_name(rotated->principal.role)},
                               {"expires_at", format_rfc3339_ms(rotated->expires_at_ms)}});
}

}  // namespace kakitome::api
