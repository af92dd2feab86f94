// The log and ledger routes: events in seq order, the latest signed checkpoint, inclusion and
// consistency proofs.
#include "api/service_impl.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
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
#include "projections/incident_review.h"

namespace kakitome::api {

namespace {

json hashes_json(const std::vector<merkle::Hash>& hashes) {
    json out = json::array();
    for (const auto& hash : hashes)
        out.push_back(base64_encode(
            std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())));
    return out;
}

std::string base64_hash(const merkle::Hash& hash) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

}  // namespace

HttpResponse ApiService::Impl::events(Context& context) {
    auto page = page_parameters(context.query, "seq");
    if (auto* refused = std::get_if<HttpResponse>(&page)) return *refused;
    const auto [from, limit] = std::get<0>(page);
    auto events = d.store.read_all(Seq{from}, limit);
    if (!events.is_ok()) return problem_for(events.status());
    json items = json::array();
    for (const auto& event : events.value()) items.push_back(event_json(event));
    const json next = events->size() == limit ? json(events->back().seq.value + 1) : json(nullptr);
    return json_response(200, {{"items", items}, {"next", next}, {"head", d.store.head().value}});
}

HttpResponse ApiService::Impl::ledger_checkpoint() {
    auto latest = d.ledger.latest_checkpoint();
    if (!latest.is_ok()) return problem_for(latest.status());
    if (!latest.value()) return problem(404, "no_checkpoint", "no checkpoint has been signed yet");
    auto cosigned = d.ledger.cosigned_note(*latest.value());
    if (!cosigned.is_ok()) return problem_for(cosigned.status());
    HttpResponse response;
    response.body = cosigned->first;  // with each witness's cosignature line
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    response.set_header("X-Verifier-Key", d.ledger.verifier_key());
    if (d.witnessing.configured()) {
        // Which configured witnesses have not cosigned this checkpoint, and why.
        std::string missing;
        for (const auto& witness : d.witnessing.status()) {
            if (std::find(cosigned->second.begin(), cosigned->second.end(), witness.name) !=
                cosigned->second.end())
                continue;
            missing += (missing.empty() ? "" : ", ") + witness.name +
                       (witness.refused ? " (refused)" : "");
        }
        response.set_header("X-Cosignatures",
                            std::to_string(cosigned->second.size()) + " of " +
                                std::to_string(d.witnessing.status().size()) + ", at least " +
                                std::to_string(d.witnessing.min_witnesses()) + " wanted");
        if (!missing.empty()) response.set_header("X-Missing-Cosignatures", missing);
    }
    return response;
}

HttpResponse ApiService::Impl::ledger_checkpoints(Context& context) {
    const auto limit_or_refusal = page_limit(context.query);
    if (auto* refused = std::get_if<HttpResponse>(&limit_or_refusal)) return *refused;
    const std::uint64_t limit = std::get<std::uint64_t>(limit_or_refusal);
    std::optional<std::uint64_t> before;
    if (context.query.count("before")) {
        before = number(context.query["before"]);
        if (!before) return problem(400, "invalid_cursor", "before is a tree size");
    }
    auto checkpoints = d.ledger.checkpoints();
    if (!checkpoints.is_ok()) return problem_for(checkpoints.status());
    json items = json::array();
    std::optional<std::uint64_t> next;
    // Newest first: the checkpoints come oldest first.
    for (auto at = checkpoints->rbegin(); at != checkpoints->rend(); ++at) {
        if (before && at->size >= *before) continue;
        if (items.size() == limit) {
            next = items.back()["size"].get<std::uint64_t>();
            break;
        }
        items.push_back({{"size", at->size}, {"note", at->note}});
    }
    return json_response(200, {{"items", items}, {"next", next ? json(*next) : json(nullptr)}});
}

HttpResponse ApiService::Impl::inclusion_proof(Context& context) {
    auto seq = number(context.query.count("seq") ? context.query["seq"] : "");
    auto size = number(context.query.count("size") ? context.query["size"] : "");
    if (!seq || !size || *seq == 0 || *seq > *size)
        return problem(400, "invalid_range", "need 1 <= seq <= size");
    auto proof = d.ledger.inclusion_proof(Seq{*seq}, *size);
    if (!proof.is_ok()) return problem_for(proof.status());
    auto root = d.ledger.root(*size);
    if (!root.is_ok()) return problem_for(root.status());
    auto event = d.store.read_event(Seq{*seq});
    if (!event.is_ok()) return problem_for(event.status());
    return json_response(200, {{"seq", *seq},
                               {"leaf_index", *seq - 1},
                               {"size", *size},
                               {"event_hash", to_hex(event->hash)},
                               {"root", base64_hash(root.value())},
                               {"proof", hashes_json(proof.value())}});
}

HttpResponse ApiService::Impl::consistency_proof(Context& context) {
    auto first = number(context.query.count("from") ? context.query["from"] : "");
    auto second = number(context.query.count("to") ? context.query["to"] : "");
    if (!first || !second || *first == 0 || *first > *second)
        return problem(400, "invalid_range", "need 1 <= from <= to");
    auto proof = d.ledger.consistency_proof(*first, *second);
    if (!proof.is_ok()) return problem_for(proof.status());
    auto first_root = d.ledger.root(*first);
    auto second_root = d.ledger.root(*second);
    if (!first_root.is_ok() || !second_root.is_ok())
        return problem(500, "internal", "cannot compute roots");
    return json_response(200, {{"from", *first},
                               {"to", *second},
                               {"from_root", base64_hash(first_root.value())},
                               {"to_root", base64_hash(second_root.value())},
                               {"proof", hashes_json(proof.value())}});
}

}  // namespace kakitome::api
