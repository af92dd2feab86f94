#include "bench/replicated_append_benchmark.h"

#include <nats/nats.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/nats_cluster.h"
#include "bench/writer_threads.h"
#include "engine/domain/application_events.h"
#include "engine/domain/streams.h"
#include "events/event_store.h"
#include "events/replication/jetstream_log.h"
#include "events/replication/primary_lease.h"
#include "events/replication/replication_node.h"

namespace kakitome::bench {

namespace {

using Clock = std::chrono::steady_clock;
using replication::JetStreamLog;
using replication::NatsConnection;

std::string ratio_text(double numerator, double denominator) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", denominator > 0 ? numerator / denominator : 0.0);
    return buffer;
}

// One append as the replicated and embedded sides make it: one event on the writer's own stream
// at its exact expected version, as a command does.
bool append_one(EventStore& store, std::vector<StreamVersion>& versions, int t, std::uint64_t i) {
    auto appended =
        store.append_with_expected_version(domain::application_stream("bench-" + std::to_string(t)),
                                           versions[static_cast<std::size_t>(t)],
                                           {{.type = std::string(domain::FormMailReceived::kType),
                                             .payload_json = sample_payload(t, i)}});
    if (!appended.is_ok()) {
        std::fprintf(stderr, "bench: %s\n", appended.status().to_string().c_str());
        return false;
    }
    versions[static_cast<std::size_t>(t)] = appended->stream_version;
    return true;
}

Result<std::unique_ptr<EventStore>> open_store(const std::filesystem::path& directory,
                                               std::shared_ptr<ReplicationSink> sink,
                                               std::shared_ptr<Database>& database) {
    auto opened = Database::open({.directory = directory});
    if (!opened.is_ok()) return opened.status();
    database = opened.value();
    // As serve opens a replicated node's store: the replicated log is the durable copy, so the
    // local write need not wait for an fsync (docs/replication.md).
    return EventStore::open(database, {.durability = sink ? Durability::buffered : Durability::sync,
                                       .replication = sink});
}

// Raw JetStream: each writer publishes synchronously (waiting for the acknowledgement) messages
// of `bytes` bytes to an R3 stream of its own subject space.
Result<SideResult> bench_raw(NatsConnection& connection, const std::string& stream, int writers,
                             std::size_t bytes, const ReplicatedAppendConfig& config) {
    jsStreamConfig stream_config;
    jsStreamConfig_Init(&stream_config);
    const std::string subject = "raw." + stream;
    const char* subjects[] = {subject.c_str()};
    stream_config.Name = stream.c_str();
    stream_config.Subjects = subjects;
    stream_config.SubjectsLen = 1;
    stream_config.Storage = js_FileStorage;
    stream_config.Replicas = 3;
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus created =
        js_AddStream(&info, connection.jetstream(), &stream_config, nullptr, &code);
    if (created != NATS_OK)
        return replication::status_from_nats(created, code, "creating stream " + stream);
    jsStreamInfo_Destroy(info);
    const std::string message(bytes, 'r');
    auto result = run_writers(writers, config.events, config.max_seconds, [&](int, std::uint64_t) {
        jsPubAck* ack = nullptr;
        jsErrCode error = static_cast<jsErrCode>(0);
        const natsStatus published =
            js_Publish(&ack, connection.jetstream(), subject.c_str(), message.data(),
                       static_cast<int>(message.size()), nullptr, &error);
        if (ack != nullptr) jsPubAck_Destroy(ack);
        if (published != NATS_OK) {
            std::fprintf(stderr, "bench: raw publish: %s\n", natsStatus_GetText(published));
            return false;
        }
        return true;
    });
    if (result.count == 0) return Status::internal("the raw JetStream side failed");
    return result;
}

}  // namespace

std::string ReplicatedAppendCase::to_json() const {
    const double raw = static_cast<double>(raw_messages) / raw_seconds;
    const double replicated = static_cast<double>(replicated_events) / replicated_seconds;
    const double embedded = static_cast<double>(embedded_events) / embedded_seconds;
    nlohmann::json line{
        {"benchmark", "append"},
        {"mode", "replicated"},
        {"writers", threads},
        {"record_bytes", record_bytes},
        {"jetstream_raw_per_second", static_cast<std::uint64_t>(raw)},
        {"replicated_events_per_second", static_cast<std::uint64_t>(replicated)},
        {"embedded_sync_events_per_second", static_cast<std::uint64_t>(embedded)},
        {"replicated_over_raw_jetstream", std::stod(ratio_text(replicated, raw))},
        {"replicated_over_embedded_sync", std::stod(ratio_text(replicated, embedded))},
        {"catch_up_events", catch_up_events},
        {"catch_up_events_per_second",
         static_cast<std::uint64_t>(static_cast<double>(catch_up_events) / catch_up_seconds)}};
    return line.dump();
}

Result<std::vector<ReplicatedAppendCase>> run_replicated_append_benchmark(
    const ReplicatedAppendConfig& config, void (*progress)(const std::string&)) {
    const auto root =
        (config.scratch.empty() ? std::filesystem::temp_directory_path() : config.scratch) /
        ("kakitome-bench-replicated-" + std::to_string(::getpid()));
    auto cluster = NatsCluster::start(root / "nats");
    if (!cluster.is_ok()) return cluster.status();
    if (!cluster.value()->wait_healthy())
        return Status::unavailable("the NATS cluster did not become healthy: " +
                                   cluster.value()->log(0));
    auto connection = NatsConnection::connect(
        {.servers = cluster.value()->urls(), .client_name = "kakitome bench"});
    if (!connection.is_ok()) return connection.status();
    auto lease = replication::PrimaryLease::open(*connection.value(), {.bucket = "bench-lease"});
    if (!lease.is_ok()) return lease.status();

    std::vector<ReplicatedAppendCase> cases;
    for (const int writers : config.thread_counts) {
        ReplicatedAppendCase row;
        row.threads = writers;
        const std::string suffix = std::to_string(writers);
        const auto case_directory = root / ("case-" + suffix);

        // The replicated side first: its records give the raw side its message size.
        std::shared_ptr<JetStreamLog> log =
            JetStreamLog::open(*connection.value(),
                               {.name = "KAKITOME-" + suffix, .subject = "kakitome.bench" + suffix})
                .value();
        KAKITOME_RETURN_IF_ERROR(log->ensure_stream());
        std::shared_ptr<Database> database;
        auto store = open_store(case_directory / "replicated", log, database);
        if (!store.is_ok()) return store.status();
        store.value()->become_writer();
        std::vector<StreamVersion> versions(static_cast<std::size_t>(writers));
        auto replicated = run_writers(
            writers, config.events, config.max_seconds,
            [&](int t, std::uint64_t i) { return append_one(*store.value(), versions, t, i); });
        if (replicated.count == 0) return Status::internal("the replicated side failed");
        row.replicated_events = replicated.count;
        row.replicated_seconds = replicated.seconds;
        const auto first_record = log->record_at(Seq{1});
        row.record_bytes = first_record.is_ok() ? first_record->size() : 0;
        if (progress)
            progress("replicated, " + suffix + " writers: " +
                     std::to_string(static_cast<std::uint64_t>(
                         static_cast<double>(replicated.count) / replicated.seconds)) +
                     " events/s");

        auto raw =
            bench_raw(*connection.value(), "RAW-" + suffix, writers, row.record_bytes, config);
        if (!raw.is_ok()) return raw.status();
        row.raw_messages = raw->count;
        row.raw_seconds = raw->seconds;
        if (progress)
            progress("raw JetStream, " + suffix + " writers: " +
                     std::to_string(static_cast<std::uint64_t>(static_cast<double>(raw->count) /
                                                               raw->seconds)) +
                     " messages/s");

        std::shared_ptr<Database> embedded_database;
        auto embedded = open_store(case_directory / "embedded", nullptr, embedded_database);
        if (!embedded.is_ok()) return embedded.status();
        std::vector<StreamVersion> embedded_versions(static_cast<std::size_t>(writers));
        auto embedded_side =
            run_writers(writers, config.events, config.max_seconds, [&](int t, std::uint64_t i) {
                return append_one(*embedded.value(), embedded_versions, t, i);
            });
        if (embedded_side.count == 0) return Status::internal("the embedded side failed");
        row.embedded_events = embedded_side.count;
        row.embedded_seconds = embedded_side.seconds;

        // Catch-up: a fresh node reads the whole stream, verifying every record.
        std::shared_ptr<Database> fresh_database;
        auto fresh = open_store(case_directory / "fresh", log, fresh_database);
        if (!fresh.is_ok()) return fresh.status();
        replication::ReplicationNode node(*fresh.value(), *log, *lease.value(), "bench");
        const Seq end = store.value()->head();
        const auto started = Clock::now();
        KAKITOME_RETURN_IF_ERROR(node.catch_up_to(end, 0));
        row.catch_up_seconds = std::chrono::duration<double>(Clock::now() - started).count();
        row.catch_up_events = fresh.value()->head().value;
        if (progress)
            progress("catch-up of " + std::to_string(row.catch_up_events) + " events: " +
                     std::to_string(static_cast<std::uint64_t>(
                         static_cast<double>(row.catch_up_events) / row.catch_up_seconds)) +
                     " events/s");
        cases.push_back(row);
        std::error_code ignored;
        std::filesystem::remove_all(case_directory, ignored);
    }
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
    return cases;
}

}  // namespace kakitome::bench
