// kakitome verify [--data DIR] [--pubkey KEY|FILE]: exit 0 intact, 1 tampered (naming the first
// bad seq), 2 bad usage, 4 the store cannot be opened. Recomputes the ledger's tree from the
// events and compares every stored node and checkpoint root; with --pubkey also checks the
// checkpoint signatures. Says what it did not check (the projections).
// kakitome verify --export FILE --pubkey KEY|FILE [--allow-unsigned-tail]: the same verdict for
// an export, with nothing but the export and the ledger's public (verifier) key: chain, tree,
// signatures, consistency, and that a signed checkpoint covers the last event (with
// --allow-unsigned-tail, events after it are reported as "unsigned", never as intact: exit 1).
#include <algorithm>
#include <cstdio>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "events/cosignature.h"
#include "replay/evidence_bundle.h"
#include "replay/ledger_export.h"
#include "replay/store_verifier.h"

#include <fstream>
#include <sstream>

namespace kakitome::cli {

namespace {}  // namespace

int run_verify(const Words& words) {
    auto arguments =
        Arguments::parse(words, {"data", "export", "pubkey", "witness", "min-witnesses"},
                         {"quiet", "allow-unsigned-tail"});
    if (arguments.is_ok() && arguments->positionals().empty() && arguments->has("export")) {
        if (!arguments->has("pubkey")) {
            std::fprintf(stderr, "usage: kakitome verify --export FILE --pubkey KEY|FILE\n");
            return kExitBadInput;
        }
        const std::string key = read_verifier_key(*arguments->value("pubkey"));
        std::ifstream in(*arguments->value("export"), std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "kakitome verify: cannot read %s\n",
                         arguments->value("export")->c_str());
            return kExitBadInput;
        }
        // An incident's evidence bundle starts with its own header (replay/evidence_bundle.h).
        std::string first_line;
        std::getline(in, first_line);
        in.clear();
        in.seekg(0);
        if (first_line.find("\"type\":\"evidence\"") != std::string::npos) {
            auto evidence = verify_evidence_bundle(in, key);
            if (!evidence.is_ok()) {
                std::fprintf(stderr, "kakitome verify: %s\n",
                             evidence.status().to_string().c_str());
                return kExitBadInput;
            }
            if (!evidence->intact) {
                std::printf("tampered: line %llu: %s\n",
                            static_cast<unsigned long long>(evidence->line),
                            evidence->problem.c_str());
                return kExitCheckFailed;
            }
            std::printf(
                "intact: evidence of incident %s: %llu events in the signed log, %llu "
                "imported files, each stream complete from its first event\n",
                evidence->incident.c_str(), static_cast<unsigned long long>(evidence->events),
                static_cast<unsigned long long>(evidence->files));
            return kExitOk;
        }
        auto verdict = verify_export(in, key, arguments->has("allow-unsigned-tail"));
        if (!verdict.is_ok()) {
            std::fprintf(stderr, "kakitome verify: %s\n", verdict.status().to_string().c_str());
            return kExitBadInput;
        }
        if (!verdict->intact && verdict->unsigned_events > 0) {
            std::printf(
                "unsigned: %llu events verify against %llu signed checkpoints, but the "
                "last %llu are covered by no signature\n",
                static_cast<unsigned long long>(verdict->events - verdict->unsigned_events),
                static_cast<unsigned long long>(verdict->checkpoints),
                static_cast<unsigned long long>(verdict->unsigned_events));
            return kExitCheckFailed;  // never the exit code of "intact"
        }
        if (!verdict->intact) {
            std::printf("tampered: line %llu: %s\n", static_cast<unsigned long long>(verdict->line),
                        verdict->problem.c_str());
            return kExitCheckFailed;
        }
        // Witnesses: the last checkpoint must carry K valid cosignatures by the keys given.
        // The same witness given twice counts once.
        std::vector<std::string> witnesses;
        for (const auto& given : arguments->values("witness")) {
            const std::string witness_key = read_verifier_key(given);
            if (std::find(witnesses.begin(), witnesses.end(), witness_key) == witnesses.end())
                witnesses.push_back(witness_key);
        }
        std::size_t needed = witnesses.empty() ? 0 : witnesses.size();
        if (auto minimum = arguments->value("min-witnesses")) {
            try {
                needed = std::stoull(*minimum);
            } catch (const std::exception&) {
                std::fprintf(stderr, "kakitome verify: --min-witnesses takes a number\n");
                return kExitBadInput;
            }
        }
        std::size_t cosigned = 0;
        for (const auto& witness_key : witnesses) {
            if (!check_cosigner_key(witness_key).is_ok()) {
                std::fprintf(stderr, "kakitome verify: --witness %s is not a witness key\n",
                             witness_key.c_str());
                return kExitBadInput;
            }
            if (verify_cosignature(verdict->last_checkpoint_note, witness_key).is_ok()) ++cosigned;
        }
        if (cosigned < needed) {
            std::printf(
                "unwitnessed: %llu events verify, but the last checkpoint carries %zu valid "
                "cosignatures by the %zu witness keys given, not %zu\n",
                static_cast<unsigned long long>(verdict->events), cosigned, witnesses.size(),
                needed);
            return kExitCheckFailed;
        }
        std::printf(
            "intact: %llu events, %llu signed checkpoints, each consistent with the one before%s\n",
            static_cast<unsigned long long>(verdict->events),
            static_cast<unsigned long long>(verdict->checkpoints),
            witnesses.empty()
                ? ""
                : (", the last cosigned by " + std::to_string(cosigned) + " witnesses").c_str());
        return kExitOk;
    }
    if (!arguments.is_ok() || !arguments->positionals().empty()) {
        std::fprintf(stderr,
                     "usage: kakitome verify [--data DIR] [--pubkey KEY|FILE] [--quiet]\n%s\n",
                     arguments.status().message().c_str());
        return kExitBadInput;
    }
    const std::string directory = arguments->value_or("data", kDefaultDataDirectory);
    auto database = Database::open({.directory = directory, .read_only = true});
    if (!database.is_ok()) {
        std::fprintf(stderr, "kakitome verify: %s\n", database.status().to_string().c_str());
        return kExitStoreError;
    }
    const bool quiet = arguments->has("quiet");
    VerifyOptions options;
    options.progress = [&](std::uint64_t checked) {
        if (!quiet)
            std::fprintf(stderr, "verify: %llu events checked\n",
                         static_cast<unsigned long long>(checked));
    };
    if (auto key = arguments->value("pubkey")) options.verifier_key = read_verifier_key(*key);
    auto report = verify_store(*database.value(), options);
    if (!report.is_ok()) {
        std::fprintf(stderr, "kakitome verify: %s\n", report.status().to_string().c_str());
        return report.status().reason() == "bad_verifier_key" ? kExitBadInput : kExitStoreError;
    }
    if (!report->intact()) {
        std::printf("tampered: first bad seq %llu: %s\n",
                    static_cast<unsigned long long>(report->first_break->seq.value),
                    report->first_break->reason.c_str());
        return kExitCheckFailed;
    }
    std::printf("intact: %llu events, head seq %llu, head hash %s\n",
                static_cast<unsigned long long>(report->events_checked),
                static_cast<unsigned long long>(report->head.value), report->head_hash_hex.c_str());
    std::printf(
        "ledger: %llu stored tree nodes and %llu checkpoint roots recomputed from the "
        "events; checkpoint signatures %s\n",
        static_cast<unsigned long long>(report->tree_nodes_checked),
        static_cast<unsigned long long>(report->checkpoints_checked),
        report->signatures_checked
            ? "verified with the key given"
            : "not checked (give --pubkey KEY|FILE; `kakitome ledger pubkey` prints it)");
    std::string projections;
    for (const auto& name : projections_not_verified())
        projections += (projections.empty() ? "" : ", ") + name;
    std::printf(
        "not checked: the projections (%s); `kakitome replay --projection NAME` rebuilds "
        "one and compares\n",
        projections.c_str());
    return kExitOk;
}

}  // namespace kakitome::cli
