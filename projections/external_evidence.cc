#include "projections/external_evidence.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/evidence/evidence_import.h"
#include "events/base/timestamp.h"

namespace kakitome {

namespace {

// The caches' own words (CloudFront x-edge-result-type, nginx and Cloudflare cache status), in
// any case: what the request's answer was.
enum class Answer { hit, filled, origin, unknown };

Answer answer_of(const std::string& word) {
    std::string lower;
    for (char c : word) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == "hit" || lower == "stale" || lower == "updating" || lower == "revalidated")
        return Answer::hit;
    // nginx stores a BYPASS answer too (proxy_cache_bypass skips the lookup, not the store).
    if (lower == "miss" || lower == "refreshhit" || lower == "expired" || lower == "bypass")
        return Answer::filled;
    if (lower.empty() || lower == "error" || lower == "redirect" || lower == "limitexceeded" ||
        lower == "capacityexceeded" || lower == "dynamic" || lower == "none" || lower == "pass")
        return Answer::origin;
    return Answer::unknown;
}

struct Request {
    std::uint64_t seq = 0;
    std::int64_t at_ms = 0;
    domain::ExternalAccessObserved observed;
};

// A key's last fill, and the last one before that fill's second (which a hit in that same
// second may have been served instead).
struct Fill {
    std::string registration;
    std::int64_t at_ms = 0;
    std::optional<std::string> earlier_registration;
    std::int64_t earlier_at_ms = 0;
};

const std::vector<std::string> kExternalFields = {"organization", "department", "name", "email",
                                                  "phone"};

}  // namespace

Result<ExternalEvidenceReview> review_external_evidence(const EventStore& store,
                                                        const std::string& incident,
                                                        std::int64_t from_ms, std::int64_t to_ms) {
    ExternalEvidenceReview review;
    auto incident_events = domain::read_current_stream(store, domain::incident_stream(incident));
    if (!incident_events.is_ok()) return incident_events.status();
    for (const auto& event : incident_events.value()) {
        KAKITOME_RETURN_IF_ERROR(domain::when<domain::ExternalFileImported>(
            event,
            [&](const domain::ExternalFileImported& file) { review.files.push_back(file); }));
    }
    std::vector<std::string> registrations;
    std::vector<Request> requests;
    KAKITOME_RETURN_IF_ERROR(domain::for_each_current_stream_event(
        store, domain::evidence_stream(incident), [&](const RecordedEvent& event) {
            if (domain::is<domain::ExternalRegistrationImported>(event)) {
                return domain::when<domain::ExternalRegistrationImported>(
                    event, [&](const domain::ExternalRegistrationImported& registration) {
                        registrations.push_back(registration.registration);
                    });
            }
            return domain::when<domain::ExternalAccessObserved>(
                event, [&](domain::ExternalAccessObserved observed) {
                    const auto at = parse_rfc3339_ms(observed.at).value_or(0);
                    requests.push_back({event.seq.value, at, std::move(observed)});
                });
        }));
    review.requests = requests.size();
    // Logs arrive in any order (one file per edge location and hour); the cache saw time order.
    std::stable_sort(requests.begin(), requests.end(), [](const Request& a, const Request& b) {
        return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.seq < b.seq;
    });
    auto served_ok = [](const Request& r) {
        return r.observed.status >= 200 && r.observed.status < 300;
    };

    // Owners: the first client the origin served the page to, else the first to ask for it.
    std::unordered_map<std::string, std::string> owner, first_asker;
    for (const auto& request : requests) {
        const auto& o = request.observed;
        if (o.registration.empty()) continue;
        first_asker.emplace(o.registration, o.client);
        if (served_ok(request) && answer_of(o.cache) != Answer::hit)
            owner.emplace(o.registration, o.client);
    }
    for (const auto& [registration, client] : first_asker) owner.emplace(registration, client);
    std::unordered_map<std::string, std::vector<std::string>> owned_by;
    for (const auto& [registration, client] : owner) owned_by[client].push_back(registration);
    for (auto& [client, owned] : owned_by) std::sort(owned.begin(), owned.end());

    std::map<std::string, std::size_t> row_of;
    for (const auto& registration : registrations) {
        row_of[registration] = review.rows.size();
        const auto found = owner.find(registration);
        review.rows.push_back(
            {registration, found == owner.end() ? "" : "client:" + found->second, {}, false});
    }
    // The registrations filled under each key in each second, for hits that share a second.
    std::unordered_map<std::string, std::set<std::string>> fills_in_second;
    for (const auto& request : requests) {
        if (served_ok(request) && answer_of(request.observed.cache) == Answer::filled)
            fills_in_second[request.observed.cache_key + '@' + std::to_string(request.at_ms)]
                .insert(request.observed.registration);
    }
    std::unordered_map<std::string, Fill> cache;
    for (const auto& request : requests) {
        const auto& o = request.observed;
        if (!served_ok(request)) continue;
        std::string served;
        const Answer answer = answer_of(o.cache);
        if (answer == Answer::hit) {
            const auto fill = cache.find(o.cache_key);
            const std::int64_t ttl_ms = o.cache_ttl_seconds * 1000;
            if (fill == cache.end() || request.at_ms - fill->second.at_ms > ttl_ms) {
                ++review.hits_without_fill;
                continue;
            }
            // Logs give whole seconds: a fill in the hit's second, or in the second of the
            // last fill, may have come before or after. More than one candidate: listed, never
            // guessed.
            const Fill& last = fill->second;
            std::set<std::string> candidates = {last.registration};
            if (last.at_ms == request.at_ms && last.earlier_registration &&
                request.at_ms - last.earlier_at_ms <= ttl_ms)
                candidates.insert(*last.earlier_registration);
            for (const std::int64_t second : {last.at_ms, request.at_ms}) {
                auto same_second = fills_in_second.find(o.cache_key + '@' + std::to_string(second));
                if (same_second != fills_in_second.end())
                    candidates.insert(same_second->second.begin(), same_second->second.end());
            }
            if (candidates.size() > 1) {
                if (request.at_ms >= from_ms && request.at_ms < to_ms) {
                    ++review.ambiguous_hits;
                    if (review.ambiguous.size() < 100)
                        review.ambiguous.push_back(
                            {o.at, o.request_id, "client:" + o.client,
                             std::vector<std::string>(candidates.begin(), candidates.end())});
                }
                continue;
            }
            served = last.registration;
        } else {
            if (answer == Answer::unknown) ++review.unknown_cache_words;
            served = o.registration;
            if (answer == Answer::filled) {
                Fill& fill = cache[o.cache_key];
                if (!fill.registration.empty() && fill.at_ms != request.at_ms) {
                    fill.earlier_registration = fill.registration;
                    fill.earlier_at_ms = fill.at_ms;
                }
                fill.registration = o.registration;
                fill.at_ms = request.at_ms;
            }
        }
        if (served.empty() || request.at_ms < from_ms || request.at_ms >= to_ms) continue;
        const auto owner_of_served = owner.find(served);
        if (owner_of_served != owner.end() && owner_of_served->second == o.client) continue;
        auto row = row_of.find(served);
        if (row == row_of.end()) {
            // A page served of a registration the export does not have: still a row.
            row = row_of.emplace(served, review.rows.size()).first;
            review.rows.push_back(
                {served,
                 owner_of_served == owner.end() ? "" : "client:" + owner_of_served->second,
                 {},
                 false});
        }
        std::string viewer_owns;
        if (auto owned = owned_by.find(o.client); owned != owned_by.end()) {
            for (const auto& registration : owned->second)
                viewer_owns += (viewer_owns.empty() ? "registrant of " : ", ") + registration;
        }
        DisclosureRecord record;
        record.seq = request.seq;
        record.at_ms = request.at_ms;
        record.at = o.at;
        record.application = served;
        record.principal = "client:" + o.client;
        record.role = "external";
        record.request_id = o.request_id;
        record.endpoint = o.method + " " + o.path + (o.cache.empty() ? "" : " (" + o.cache + ")");
        record.remote = viewer_owns;
        record.fields = kExternalFields;
        review.rows[row->second].to_others.push_back(std::move(record));
    }
    return review;
}

}  // namespace kakitome
