// kakitome ledger checkpoint|pubkey [--data DIR]
// kakitome ledger proof --seq S [--size N] | --from A --to B   [--data DIR]
// kakitome export [--data DIR] --to FILE
// kakitome trail APP_ID [--data DIR]
// The verifiable ledger (docs/ledger.md): cut a signed checkpoint now, print the verifier key,
// print an inclusion or consistency proof, export events and checkpoints for an auditor
// (checked by `kakitome verify --export FILE --pubkey KEY`), and one application's events each
// with its inclusion proof against the latest checkpoint.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/store_access.h"
#include "engine/domain/streams.h"
#include "events/base/base64.h"
#include "replay/ledger_export.h"

namespace kakitome::cli {

namespace {

std::string base64_of(const merkle::Hash& hash) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

nlohmann::json proof_json(const std::vector<merkle::Hash>& proof) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& hash : proof) out.push_back(base64_of(hash));
    return out;
}

int fail(const char* command, const Status& status) {
    std::fprintf(stderr, "kakitome %s: %s\n", command, status.to_string().c_str());
    return status.code() == StatusCode::invalid_argument ? kExitBadInput : kExitStoreError;
}

}  // namespace

int run_ledger(const Words& words) {
    auto arguments =
        Arguments::parse(words, {"data", "ledger-key", "seq", "size", "from", "to"}, {});
    const std::string action = arguments.is_ok() && arguments->positionals().size() == 1
                                   ? arguments->positionals()[0]
                                   : "";
    if (action != "checkpoint" && action != "pubkey" && action != "proof") {
        std::fprintf(
            stderr,
            "usage: kakitome ledger checkpoint|pubkey [--data DIR]\n"
            "       kakitome ledger proof (--seq S [--size N] | --from A --to B) [--data DIR]\n");
        return kExitBadInput;
    }
    auto reader = open_reader_or_report("ledger", arguments.value());
    if (!reader) return kExitStoreError;
    Ledger& ledger = *reader->ledger;
    if (action == "pubkey") {
        if (ledger.verifier_key().empty()) {
            std::fprintf(stderr,
                         "kakitome ledger: the signing key is not readable here (give "
                         "--ledger-key FILE, or GET /v1/ledger/checkpoint shows it)\n");
            return kExitBadInput;
        }
        std::printf("%s\n", ledger.verifier_key().c_str());
        return kExitOk;
    }
    if (action == "checkpoint") {
        // Beside a running server its worker signs checkpoints; show the latest one. Alone,
        // sign one now over the whole log.
        if (reader->beside_server || ledger.verifier_key().empty()) {
            auto latest = ledger.latest_checkpoint();
            if (!latest.is_ok()) return fail("ledger", latest.status());
            if (!latest.value()) {
                std::fprintf(stderr, "kakitome ledger: no checkpoint has been signed yet\n");
                return kExitStoreError;
            }
            std::printf("%s", latest.value()->note.c_str());
            return kExitOk;
        }
        auto checkpoint = ledger.cut_checkpoint();
        if (!checkpoint.is_ok()) return fail("ledger", checkpoint.status());
        std::printf("%s", checkpoint->note.c_str());
        return kExitOk;
    }
    try {
        if (arguments->has("seq")) {
            const std::uint64_t seq = std::stoull(*arguments->value("seq"));
            const std::uint64_t size =
                std::stoull(arguments->value_or("size", std::to_string(ledger.size())));
            auto proof = ledger.inclusion_proof(Seq{seq}, size);
            if (!proof.is_ok()) return fail("ledger", proof.status());
            auto root = ledger.root(size);
            std::printf("%s\n", nlohmann::json{{"seq", seq},
                                               {"leaf_index", seq - 1},
                                               {"size", size},
                                               {"root", base64_of(root.value())},
                                               {"proof", proof_json(proof.value())}}
                                    .dump()
                                    .c_str());
            return kExitOk;
        }
        const std::uint64_t first = std::stoull(arguments->value_or("from", "0"));
        const std::uint64_t second = std::stoull(arguments->value_or("to", "0"));
        auto proof = ledger.consistency_proof(first, second);
        if (!proof.is_ok()) return fail("ledger", proof.status());
        std::printf("%s\n", nlohmann::json{{"from", first},
                                           {"to", second},
                                           {"from_root", base64_of(ledger.root(first).value())},
                                           {"to_root", base64_of(ledger.root(second).value())},
                                           {"proof", proof_json(proof.value())}}
                                .dump()
                                .c_str());
        return kExitOk;
    } catch (const std::exception&) {
        std::fprintf(stderr, "kakitome ledger: --seq, --size, --from and --to take numbers\n");
        return kExitBadInput;
    }
}

int run_export(const Words& words) {
    auto arguments = Arguments::parse(words, {"data", "ledger-key", "to"}, {});
    if (!arguments.is_ok() || !arguments->has("to") || !arguments->positionals().empty()) {
        std::fprintf(stderr, "usage: kakitome export [--data DIR] --to FILE\n");
        return kExitBadInput;
    }
    auto reader = open_reader_or_report("export", arguments.value());
    if (!reader) return kExitStoreError;
    // An export ends in a checkpoint that covers every event in it: alone, sign one over the
    // whole log now; beside a server, the export ends at the server's latest checkpoint.
    if (!reader->beside_server && !reader->ledger->verifier_key().empty()) {
        if (auto checkpoint = reader->ledger->cut_checkpoint(); !checkpoint.is_ok())
            return fail("export", checkpoint.status());
    }
    std::ofstream out(*arguments->value("to"), std::ios::binary | std::ios::trunc);
    if (!out) {
        std::fprintf(stderr, "kakitome export: cannot write %s\n", arguments->value("to")->c_str());
        return kExitBadInput;
    }
    auto report = export_ledger(*reader->store, *reader->ledger, out, [](std::uint64_t seq) {
        std::fprintf(stderr, "export: %llu events\n", static_cast<unsigned long long>(seq));
    });
    if (!report.is_ok()) return fail("export", report.status());
    if (report->checkpoints == 0) {
        std::fprintf(stderr,
                     "kakitome export: no signed checkpoint yet, so nothing can be exported "
                     "(give --ledger-key FILE to sign one, or wait for the server's first)\n");
        return kExitStoreError;
    }
    if (report->events < reader->store->head().value)
        std::fprintf(stderr,
                     "kakitome export: ends at the latest signed checkpoint (%llu events); the "
                     "%llu newer ones wait for the next checkpoint\n",
                     static_cast<unsigned long long>(report->events),
                     static_cast<unsigned long long>(reader->store->head().value - report->events));
    std::printf("%s\n", nlohmann::json{{"events", report->events},
                                       {"checkpoints", report->checkpoints},
                                       {"verifier_key", reader->ledger->verifier_key()},
                                       {"file", *arguments->value("to")}}
                            .dump()
                            .c_str());
    return kExitOk;
}

int run_trail(const Words& words) {
    auto arguments = Arguments::parse(words, {"data", "ledger-key"}, {});
    if (!arguments.is_ok() || arguments->positionals().size() != 1) {
        std::fprintf(stderr, "usage: kakitome trail APP_ID [--data DIR]\n");
        return kExitBadInput;
    }
    auto reader = open_reader_or_report("trail", arguments.value());
    if (!reader) return kExitStoreError;
    auto& store = reader->store;
    auto& ledger = reader->ledger;
    auto latest = ledger->latest_checkpoint();
    if (!latest.is_ok()) return fail("trail", latest.status());
    const std::uint64_t size = latest.value() ? latest.value()->size : 0;
    auto events =
        read_whole_stream(*store, domain::application_stream(arguments->positionals()[0]));
    if (!events.is_ok()) return fail("trail", events.status());
    if (events->empty()) {
        std::fprintf(stderr, "kakitome trail: no application %s\n",
                     arguments->positionals()[0].c_str());
        return kExitBadInput;
    }
    std::printf("%s\n", nlohmann::json{{"type", "checkpoint"},
                                       {"size", size},
                                       {"note", latest.value() ? latest.value()->note : ""}}
                            .dump()
                            .c_str());
    for (const auto& event : events.value()) {
        nlohmann::json line{{"type", "event"}, {"event", nlohmann::json::parse(event.to_json())}};
        if (event.seq.value <= size) {
            auto proof = ledger->inclusion_proof(event.seq, size);
            if (!proof.is_ok()) return fail("trail", proof.status());
            line["inclusion"] = {{"leaf_index", event.seq.value - 1},
                                 {"size", size},
                                 {"proof", proof_json(proof.value())}};
        } else {
            line["inclusion"] = nullptr;  // after the latest checkpoint: covered by the next one
        }
        std::printf("%s\n", line.dump().c_str());
    }
    return kExitOk;
}

}  // namespace kakitome::cli
