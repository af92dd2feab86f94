#include "replay/ledger_export.h"

#include <nlohmann/json.hpp>

#include "events/merkle.h"

namespace kakitome {

using nlohmann::json;

Result<ExportReport> export_ledger(const EventStore& store, const Ledger& ledger, std::ostream& out,
                                   const std::function<void(std::uint64_t)>& progress) {
    ExportReport report;
    auto checkpoints = ledger.checkpoints();
    if (!checkpoints.is_ok()) return checkpoints.status();
    // The export covers exactly the log up to its latest signed checkpoint: every event in it is
    // then vouched for by a signature (events after it wait for the next checkpoint).
    const std::uint64_t size = checkpoints->empty() ? 0 : checkpoints->back().size;
    out << json{{"type", "ledger"},
                {"origin", ledger.origin()},
                {"verifier_key", ledger.verifier_key()},
                {"size", size}}
               .dump()
        << "\n";
    std::size_t next_checkpoint = 0;
    auto write_checkpoints_up_to = [&](std::uint64_t seq) {
        while (next_checkpoint < checkpoints->size() &&
               (*checkpoints)[next_checkpoint].size <= seq) {
            const auto& checkpoint = (*checkpoints)[next_checkpoint++];
            // With the witnesses' cosignatures, so the export alone proves them too.
            auto cosigned = ledger.cosigned_note(checkpoint);
            out << json{{"type", "checkpoint"},
                        {"size", checkpoint.size},
                        {"note", cosigned.is_ok() ? cosigned->first : checkpoint.note}}
                       .dump()
                << "\n";
            ++report.checkpoints;
        }
    };
    write_checkpoints_up_to(0);
    KAKITOME_RETURN_IF_ERROR(for_each_event(store, Seq{1}, [&](const RecordedEvent& event) {
        if (event.seq.value > size) return;
        out << json{{"type", "event"},
                    {"seq", event.seq.value},
                    {"hash", to_hex(event.hash)},
                    {"canonical", canonical_bytes(event)}}
                   .dump()
            << "\n";
        ++report.events;
        write_checkpoints_up_to(event.seq.value);
        if (progress && event.seq.value % 100000 == 0) progress(event.seq.value);
    }));
    if (!out) return Status::io_error("writing the export failed");
    return report;
}

Result<ExportVerdict> verify_export(std::istream& in, const std::string& verifier_key,
                                    bool allow_unsigned_tail) {
    KAKITOME_RETURN_IF_ERROR(check_verifier_key(verifier_key));
    ExportVerdict verdict;
    std::optional<std::uint64_t> header_size;
    merkle::MemoryTree tree;
    Sha256Digest previous_hash{};
    std::optional<Checkpoint> previous_checkpoint;
    std::string line;
    auto fail = [&](const std::string& problem) {
        verdict.intact = false;
        verdict.problem = problem;
        return verdict;
    };
    while (std::getline(in, line)) {
        ++verdict.line;
        if (line.empty()) continue;
        const json entry = json::parse(line, nullptr, false);
        if (!entry.is_object() || !entry.contains("type"))
            return fail("not a JSON object with a type");
        const std::string type = entry.value("type", "");
        if (type == "ledger") {
            if (header_size || verdict.events > 0 || verdict.checkpoints > 0)
                return fail("a second header, or a header after events");
            if (!entry.contains("size") || !entry["size"].is_number_unsigned())
                return fail("the header does not give the export's size");
            header_size = entry["size"].get<std::uint64_t>();
            continue;
        }
        if (!header_size) return fail("the export does not start with its header");
        if (type == "event") {
            const std::string canonical = entry.value("canonical", "");
            const std::string claimed = entry.value("hash", "");
            const auto hash = sha256(canonical);
            if (to_hex(hash) != claimed)
                return fail("event hash does not match its canonical bytes");
            const json envelope = json::parse(canonical, nullptr, false);
            if (!envelope.is_object()) return fail("canonical bytes are not JSON");
            const std::uint64_t seq = envelope.value("seq", std::uint64_t{0});
            if (seq != tree.size() + 1 || entry.value("seq", std::uint64_t{0}) != seq) {
                return fail("seq " + std::to_string(seq) + " where " +
                            std::to_string(tree.size() + 1) + " was expected");
            }
            if (envelope.value("prev_hash", "") != to_hex(previous_hash))
                return fail("prev_hash of seq " + std::to_string(seq) + " breaks the chain");
            auto reserialized = canonicalize_json(canonical);
            if (!reserialized.is_ok() || reserialized.value() != canonical)
                return fail("seq " + std::to_string(seq) + " is not in canonical form");
            previous_hash = hash;
            tree.append(merkle::leaf_hash(hash));
            ++verdict.events;
            continue;
        }
        if (type == "checkpoint") {
            auto checkpoint = open_checkpoint(entry.value("note", ""), verifier_key);
            if (!checkpoint.is_ok()) return fail("checkpoint: " + checkpoint.status().message());
            verdict.last_checkpoint_note = entry.value("note", "");
            if (checkpoint->size != entry.value("size", std::uint64_t{0}))
                return fail("checkpoint size differs from its note");
            if (checkpoint->size > tree.size())
                return fail("checkpoint of size " + std::to_string(checkpoint->size) +
                            " before its events");
            auto root = tree.root(checkpoint->size);
            if (!root.is_ok() || root.value() != checkpoint->root) {
                return fail("checkpoint of size " + std::to_string(checkpoint->size) +
                            " does not match the events' tree");
            }
            if (previous_checkpoint && previous_checkpoint->size > 0) {
                if (checkpoint->size < previous_checkpoint->size)
                    return fail("checkpoints go backwards");
                auto proof = merkle::consistency_proof(tree.nodes(), previous_checkpoint->size,
                                                       checkpoint->size);
                if (!proof.is_ok() ||
                    !merkle::verify_consistency(previous_checkpoint->size, checkpoint->size,
                                                proof.value(), previous_checkpoint->root,
                                                checkpoint->root)
                         .is_ok()) {
                    return fail("checkpoint of size " + std::to_string(checkpoint->size) +
                                " is not consistent with the one before");
                }
            }
            previous_checkpoint = checkpoint.value();
            ++verdict.checkpoints;
            continue;
        }
        return fail("unknown line type '" + type + "'");
    }
    if (!header_size) return fail("the export has no header");
    if (*header_size != tree.size())
        return fail("the header says " + std::to_string(*header_size) +
                    " events but the export holds " + std::to_string(tree.size()) +
                    " (cut or extended)");
    if (verdict.checkpoints == 0) return fail("the export holds no signed checkpoint");
    const std::uint64_t signed_size = previous_checkpoint ? previous_checkpoint->size : 0;
    if (signed_size != tree.size()) {
        const std::uint64_t unsigned_events = tree.size() - signed_size;
        if (!allow_unsigned_tail)
            return fail(std::to_string(unsigned_events) +
                        " events after the last signed checkpoint (size " +
                        std::to_string(signed_size) +
                        ") are covered by no signature; the export must end with a checkpoint");
        verdict.unsigned_events = unsigned_events;
        verdict.problem = std::to_string(unsigned_events) +
                          " events after the last signed "
                          "checkpoint are not signed";
        return verdict;
    }
    verdict.intact = true;
    verdict.problem.clear();
    return verdict;
}

}  // namespace kakitome
