#include "bench/incident_benchmark.h"

#include <chrono>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/workflow/workflow_config.h"
#include "events/base/timestamp.h"
#include "events/event_store.h"
#include "events/ledger.h"
#include "events/merkle.h"
#include "events/storage_keys.h"
#include "events/table_memory.h"
#include "events/verified_pages.h"
#include "projections/disclosure_index.h"
#include "projections/incident_review.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"
#include "replay/store_verifier.h"

namespace kakitome::bench {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Result<std::string> run_incident_benchmark(
    const IncidentBenchmarkConfig& config,
    const std::function<void(const std::string&)>& progress) {
    std::filesystem::remove_all(config.scratch);
    std::vector<std::string> families = projection_families();
    families.push_back(kMerkleFamily);
    auto database =
        Database::open({.directory = config.scratch, .extra_column_families = families});
    if (!database.is_ok()) return database.status();
    // Time runs over `days` days so that a one-day window holds 1/days of the disclosures.
    const std::int64_t start_ms = 1'748'736'000'000;  // 2025-06-01T00:00:00Z
    const std::int64_t step_ms =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(config.days) * 86'400'000 /
                                      static_cast<std::int64_t>(config.events));
    std::int64_t now_ms = start_ms;
    auto store = EventStore::open(database.value(), {.durability = Durability::buffered,
                                                     .clock_ms = [&now_ms] { return now_ms; }});
    if (!store.is_ok()) return store.status();
    EventStore& events = *store.value();

    std::mt19937_64 random(42);
    json figures;
    auto started = Clock::now();
    std::uint64_t written = 0;
    while (written < config.events) {
        std::vector<StreamAppend> parts;
        for (int i = 0; i < 100 && written < config.events; ++i, ++written) {
            now_ms += step_ms;
            const std::uint64_t application = random() % config.applications;
            const std::string id = "a" + std::to_string(application);
            if (written % 2 == 0) {
                const std::uint64_t principal = random() % config.principals;
                const bool staff = principal < config.principals / 2;
                const domain::PiiDisclosed disclosed{
                    .principal = staff ? "staff-" + std::to_string(principal)
                                       : "applicant:k" + std::to_string(principal),
                    .role = staff ? "operator" : "applicant",
                    .request_id = "r" + std::to_string(written),
                    .endpoint = "GET /v1/applications/{id}",
                    .remote = "192.0.2.1",
                    .applications = {id},
                    .fields_shown = {"organization", "contact_email"}};
                parts.push_back({domain::disclosure_stream(std::to_string(principal) + "-" +
                                                           std::to_string(written)),
                                 ExpectedVersion::any(),
                                 {domain::new_event(disclosed)}});
            } else {
                // Application events go round the applications in order, so no stream repeats
                // within one transaction; each application's first is its form mail, its second
                // its password reminder (as on a log where the reminders went out: `serve` on
                // this log then starts with no timer due, rather than with every application's
                // reminder due and no address to send it to), then assignments.
                const std::uint64_t round_robin = (written / 2) % config.applications;
                const std::uint64_t round = written / 2 / config.applications;
                NewEvent event =
                    round == 0
                        ? domain::new_event(domain::FormMailReceived{
                              .sender_key = "k" + std::to_string(round_robin % config.principals)})
                    : round == 1
                        ? domain::new_event(domain::PasswordReminderDue{format_rfc3339_ms(now_ms)})
                        : domain::new_event(domain::ApplicationAssigned{"sato"});
                parts.push_back({domain::application_stream("a" + std::to_string(round_robin)),
                                 ExpectedVersion::any(),
                                 {std::move(event)}});
            }
        }
        auto appended = events.append_transaction(std::move(parts));
        if (!appended.is_ok()) return appended.status();
        if (written % 1'000'000 == 0) progress("built " + std::to_string(written) + " events");
    }
    figures["events"] = config.events;
    figures["build_seconds"] = seconds_since(started);
    progress("compacting");
    KAKITOME_RETURN_IF_ERROR(database.value()->compact_everything());

    // Baseline: iterate the events column family raw.
    started = Clock::now();
    std::uint64_t raw = 0;
    {
        KAKITOME_RETURN_IF_ERROR(database.value()->scan(
            storage_keys::kEventsFamily, "",
            [&](std::string_view, std::string_view value) {
                raw += value.size() > 0 ? 1 : 0;
                return true;
            },
            Database::ScanKind::full_pass));
    }
    figures["raw_rocksdb_iteration_events_per_second"] =
        static_cast<double>(raw) / seconds_since(started);

    // The floors of a verifying replay and of the tree extension: reading every stored record
    // and doing only the hashing each must do (one SHA-256 per event; a leaf hash and, on
    // average, one interior node hash per event), nothing decoded, nothing written.
    started = Clock::now();
    std::uint64_t hashed = 0;
    std::uint8_t folded_bytes = 0;  // used below, so the hashing is not optimised away
    KAKITOME_RETURN_IF_ERROR(
        events.scan_stored_events(Seq{1}, Seq{0}, [&](Seq, std::string_view stored) {
            folded_bytes ^= sha256(stored.substr(sizeof(Sha256Digest)))[0];
            ++hashed;
            return true;
        }));
    figures["verify_floor_events_per_second"] =
        static_cast<double>(hashed) / seconds_since(started);
    figures["verify_floor_check"] = folded_bytes;
    started = Clock::now();
    merkle::Hash carried{};
    KAKITOME_RETURN_IF_ERROR(
        events.scan_stored_events(Seq{1}, Seq{0}, [&](Seq, std::string_view stored) {
            const merkle::Hash leaf = merkle::leaf_hash(
                reinterpret_cast<const std::uint8_t*>(stored.data()), sizeof(Sha256Digest));
            carried = merkle::node_hash(carried, leaf);
            return true;
        }));
    figures["ledger_hashing_floor_events_per_second"] =
        static_cast<double>(config.events) / seconds_since(started);
    figures["ledger_hashing_floor_check"] = carried[0];

    // The reading half of a replay alone: verified and decoded pages, folded into nothing.
    started = Clock::now();
    std::uint64_t decoded = 0;
    KAKITOME_RETURN_IF_ERROR(for_each_verified_page(events, Seq{1}, Seq{0}, Sha256Digest{},
                                                    [&](const std::vector<RecordedEvent>& page) {
                                                        decoded += page.size();
                                                        return Status::ok();
                                                    }));
    figures["verified_read_events_per_second"] =
        static_cast<double>(decoded) / seconds_since(started);

    progress("indexing disclosures");
    DisclosureIndex index(events);
    started = Clock::now();
    KAKITOME_RETURN_IF_ERROR(index.catch_up());
    figures["index_catch_up_seconds"] = seconds_since(started);
    // The bulk load ends once compaction has brought level 0 back below its slowdown trigger;
    // serve's later worker passes see to that, here settle() waits for it.
    KAKITOME_RETURN_IF_ERROR(index.settle());
    figures["index_settled_seconds"] = seconds_since(started);

    // who-saw: mean over 200 applications.
    started = Clock::now();
    std::size_t seen = 0;
    for (int i = 0; i < 200; ++i) {
        auto records = index.who_saw("a" + std::to_string(random() % config.applications));
        if (!records.is_ok()) return records.status();
        seen += records->size();
    }
    figures["who_saw_ms"] = seconds_since(started) * 1000 / 200;
    figures["who_saw_mean_disclosures"] = static_cast<double>(seen) / 200;

    started = Clock::now();
    auto review = review_incident(index, start_ms + 10 * 86'400'000LL, start_ms + 11 * 86'400'000LL,
                                  std::nullopt);
    if (!review.is_ok()) return review.status();
    figures["review_one_day_seconds"] = seconds_since(started);
    figures["review_rows"] = review->rows.size();
    figures["review_affected"] = review->affected;

    // The index's writes leave flushes and compactions behind; done first, they would otherwise
    // share the two cores with the replay and the tree extension measured next (it made the
    // replay's figure swing by half from run to run).
    progress("compacting the index");
    KAKITOME_RETURN_IF_ERROR(database.value()->compact_everything());

    progress("replaying");
    workflow::WorkflowConfig workflow_config;
    QueueProjection queue(workflow_config);
    started = Clock::now();
    KAKITOME_RETURN_IF_ERROR(rebuild_projection(events, queue, events.head()));
    const double replay_seconds = seconds_since(started);
    figures["replay_events_per_second"] = static_cast<double>(config.events) / replay_seconds;
    figures["replay_ratio_to_raw_iteration"] =
        figures["replay_events_per_second"].get<double>() /
        figures["raw_rocksdb_iteration_events_per_second"].get<double>();

    progress("extending the ledger");
    auto ledger = Ledger::open(events, std::nullopt, "bench");
    if (!ledger.is_ok()) return ledger.status();
    started = Clock::now();
    KAKITOME_RETURN_IF_ERROR(ledger.value()->extend());
    figures["ledger_extend_events_per_second"] =
        static_cast<double>(config.events) / seconds_since(started);
    started = Clock::now();
    for (int i = 0; i < 1000; ++i) {
        auto proof =
            ledger.value()->inclusion_proof(Seq{1 + random() % config.events}, config.events);
        if (!proof.is_ok()) return proof.status();
    }
    figures["inclusion_proof_ms"] =
        seconds_since(started);  // 1000 proofs: total seconds = mean milliseconds

    // What an auditor runs (`kakitome verify`): the chain with every record held to its canonical
    // spelling, each event's stream-index entry, and every stored tree node recomputed.
    progress("verifying the store as `kakitome verify` does");
    started = Clock::now();
    auto verified = verify_store(*database.value());
    if (!verified.is_ok()) return verified.status();
    if (!verified->intact() || verified->events_checked != config.events)
        return Status::internal("the benchmark's store did not verify");
    figures["auditor_verify_events_per_second"] =
        static_cast<double>(config.events) / seconds_since(started);
    figures["auditor_verify_ratio_to_raw_iteration"] =
        figures["auditor_verify_events_per_second"].get<double>() /
        figures["raw_rocksdb_iteration_events_per_second"].get<double>();
    // What reading the tables keeps in memory (serve keeps every table open), beside the tables'
    // size: the one block cache, which holds the index blocks too, and what open tables keep
    // outside it, the part that would grow with the store (docs/operations.md, "Memory to plan
    // for").
    auto tables = table_memory(*database.value());
    if (!tables.is_ok()) return tables.status();
    figures["table_readers_bytes"] = tables->table_readers_bytes;
    figures["table_file_bytes"] = tables->table_file_bytes;
    figures["block_cache_capacity_bytes"] = tables->block_cache_capacity_bytes;
    figures["block_cache_usage_bytes"] = tables->block_cache_usage_bytes;
    figures["block_cache_pinned_bytes"] = tables->block_cache_pinned_bytes;
    // Closed before the directory goes: an open database's background compaction deletes files
    // under remove_all's feet (a 10M run aborted here, its figures lost).
    ledger.value().reset();
    store.value().reset();
    database.value().reset();
    std::error_code ignored;
    if (!config.keep) std::filesystem::remove_all(config.scratch, ignored);
    return figures.dump();
}

}  // namespace kakitome::bench
