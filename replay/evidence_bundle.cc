#include "replay/evidence_bundle.h"

#include <map>

#include <nlohmann/json.hpp>

#include "engine/domain/domain_event.h"
#include "engine/domain/external_evidence_events.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/streams.h"
#include "events/base/sha256.h"
#include "events/merkle.h"

namespace kakitome {

using nlohmann::json;

namespace {

json file_line(const domain::ExternalFileImported& file) {
    json line = json::parse(domain::encode_payload(file));
    line["type"] = "file";
    return line;
}

}  // namespace

Result<EvidenceBundleReport> write_evidence_bundle(const EventStore& store, const Ledger& ledger,
                                                   const std::string& incident, std::ostream& out) {
    std::vector<RecordedEvent> events;
    const std::vector<std::string> streams = {domain::incident_stream(incident),
                                              domain::evidence_stream(incident)};
    for (const auto& stream : streams) {
        auto stored = read_whole_stream(store, stream);
        if (!stored.is_ok()) return stored.status();
        events.insert(events.end(), stored->begin(), stored->end());
    }
    if (events.empty())
        return Status::not_found("no incident " + incident).with_reason("unknown_incident");
    std::sort(events.begin(), events.end(),
              [](const RecordedEvent& a, const RecordedEvent& b) { return a.seq < b.seq; });
    auto checkpoint = ledger.latest_checkpoint();
    if (!checkpoint.is_ok()) return checkpoint.status();
    if (!checkpoint->has_value() || (*checkpoint)->size < events.back().seq.value)
        return Status::failed_precondition(
                   "no signed checkpoint covers the incident's last event yet (seq " +
                   std::to_string(events.back().seq.value) +
                   "); the server signs one within a minute")
            .with_reason("checkpoint_pending");
    const Checkpoint& signed_checkpoint = **checkpoint;
    EvidenceBundleReport report;
    report.checkpoint_size = signed_checkpoint.size;
    out << json{{"type", "evidence"},        {"incident", incident},
                {"origin", ledger.origin()}, {"verifier_key", ledger.verifier_key()},
                {"streams", streams},        {"events", events.size()}}
               .dump()
        << '\n';
    out << json{{"type", "checkpoint"},
                {"size", signed_checkpoint.size},
                {"note", signed_checkpoint.note}}
               .dump()
        << '\n';
    for (const auto& event : events) {
        if (!domain::is<domain::ExternalFileImported>(event)) continue;
        auto file = domain::decode<domain::ExternalFileImported>(event);
        if (!file.is_ok()) return file.status();
        out << file_line(file.value()).dump() << '\n';
        ++report.files;
    }
    for (const auto& event : events) {
        auto proof = ledger.inclusion_proof(event.seq, signed_checkpoint.size);
        if (!proof.is_ok()) return proof.status();
        json hashes = json::array();
        for (const auto& hash : proof.value()) hashes.push_back(to_hex(hash));
        out << json{{"type", "event"},
                    {"seq", event.seq.value},
                    {"hash", to_hex(event.hash)},
                    {"canonical", canonical_bytes(event)},
                    {"proof", hashes}}
                   .dump()
            << '\n';
        ++report.events;
    }
    if (!out) return Status::io_error("cannot write the bundle");
    return report;
}

Result<EvidenceVerdict> verify_evidence_bundle(std::istream& in, const std::string& verifier_key) {
    EvidenceVerdict verdict;
    auto fail = [&](const std::string& problem) {
        verdict.intact = false;
        verdict.problem = problem;
        return verdict;
    };
    std::string line;
    std::optional<Checkpoint> checkpoint;
    std::vector<std::string> streams;
    std::uint64_t declared_events = 0, last_seq = 0;
    std::map<std::string, std::uint64_t> last_version;
    std::vector<json> files, file_events;
    bool header = false;
    while (std::getline(in, line)) {
        ++verdict.line;
        if (line.empty()) continue;
        const json entry = json::parse(line, nullptr, false);
        if (!entry.is_object() || !entry.contains("type") || !entry["type"].is_string())
            return fail("not a JSON object with a type");
        const std::string type = entry["type"];
        if (!header) {
            if (type != "evidence") return fail("the bundle does not start with its header");
            header = true;
            verdict.incident = entry.value("incident", "");
            declared_events = entry.value("events", std::uint64_t{0});
            // The streams follow from the incident, never from what the header lists: a bundle
            // that leaves one out, or names another incident's, is incomplete.
            if (verdict.incident.empty()) return fail("the header names no incident");
            streams = {domain::incident_stream(verdict.incident),
                       domain::evidence_stream(verdict.incident)};
            continue;
        }
        if (type == "checkpoint") {
            if (checkpoint) return fail("a second checkpoint");
            auto opened = open_checkpoint(entry.value("note", ""), verifier_key);
            if (!opened.is_ok()) return fail("checkpoint: " + opened.status().message());
            checkpoint = opened.value();
            continue;
        }
        if (!checkpoint) return fail("no signed checkpoint before the files and events");
        if (type == "file") {
            json file = entry;
            file.erase("type");
            files.push_back(file);
            continue;
        }
        if (type != "event") return fail("unknown line type '" + type + "'");
        const std::string canonical = entry.value("canonical", "");
        const auto hash = sha256(canonical);
        if (to_hex(hash) != entry.value("hash", ""))
            return fail("event hash does not match its canonical bytes");
        const json envelope = json::parse(canonical, nullptr, false);
        if (!envelope.is_object()) return fail("canonical bytes are not JSON");
        const std::uint64_t seq = envelope.value("seq", std::uint64_t{0});
        if (seq == 0 || seq <= last_seq || seq > checkpoint->size)
            return fail("seq " + std::to_string(seq) + " out of order or beyond the checkpoint");
        last_seq = seq;
        std::vector<merkle::Hash> proof;
        if (!entry.contains("proof") || !entry["proof"].is_array())
            return fail("event " + std::to_string(seq) + " has no inclusion proof");
        for (const auto& hex : entry["proof"]) {
            auto digest = hex.is_string() ? sha256_from_hex(hex.get<std::string>()) : std::nullopt;
            if (!digest) return fail("event " + std::to_string(seq) + ": a proof hash is not hex");
            proof.push_back(*digest);
        }
        if (!merkle::verify_inclusion(seq - 1, checkpoint->size, merkle::leaf_hash(hash), proof,
                                      checkpoint->root)
                 .is_ok())
            return fail("event " + std::to_string(seq) + " is not in the signed log");
        const std::string stream = envelope.value("stream", "");
        if (std::find(streams.begin(), streams.end(), stream) == streams.end())
            return fail("event " + std::to_string(seq) + " belongs to another stream");
        const std::uint64_t version = envelope.value("version", std::uint64_t{0});
        if (version != last_version[stream] + 1)
            return fail("stream " + stream + " jumps from version " +
                        std::to_string(last_version[stream]) + " to " + std::to_string(version) +
                        ": an event is missing");
        last_version[stream] = version;
        const std::string type_name = envelope.value("type", "");
        if (stream == streams[0] && version == 1 && type_name != domain::IncidentReported::kType)
            return fail("the incident's stream does not start with its report");
        if (type_name == domain::ExternalFileImported::kType)
            file_events.push_back(envelope.value("payload", json::object()));
        ++verdict.events;
    }
    if (!header) return fail("empty bundle");
    if (!checkpoint) return fail("no signed checkpoint");
    if (verdict.events != declared_events)
        return fail("the header promises " + std::to_string(declared_events) +
                    " events, the bundle has " + std::to_string(verdict.events));
    if (last_version[streams[0]] == 0) return fail("the bundle holds no event of the incident");
    // Every row a signed file event says it recorded is in the bundle: the evidence stream is
    // not cut short at its end either.
    std::uint64_t recorded = 0;
    for (const auto& file : file_events) recorded += file.value("recorded", std::uint64_t{0});
    if (last_version[streams[1]] < recorded)
        return fail("the imported files recorded " + std::to_string(recorded) +
                    " rows, the bundle holds " + std::to_string(last_version[streams[1]]) +
                    " of them");
    // Each file line is one of the signed ExternalFileImported events, and none is missing.
    if (files.size() != file_events.size())
        return fail("the bundle lists " + std::to_string(files.size()) + " files, its events " +
                    std::to_string(file_events.size()));
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (files[i] != file_events[i])
            return fail("file line " + std::to_string(i + 1) + " (" + files[i].value("name", "") +
                        ") differs from its signed event");
    }
    verdict.files = files.size();
    verdict.intact = true;
    verdict.line = 0;
    return verdict;
}

}  // namespace kakitome
