#include "projections/external_evidence.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/evidence/evidence_import.h"
#include "events/base/timestamp.h"

namespace kakitome {

namespace {

bool is_hit(const std::string& word) {
    return word == "Hit" || word == "HIT" || word == "STALE" || word == "UPDATING" ||
           word == "REVALIDATED";
}

// nginx stores a BYPASS answer too (proxy_cache_bypass skips the lookup, not the store).
bool stores_response(const std::string& word) {
    return word == "Miss" || word == "RefreshHit" || word == "MISS" || word == "EXPIRED" ||
           word == "BYPASS";
}

struct Request {
    std::uint64_t seq = 0;
    std::int64_t at_ms = 0;
    domain::ExternalAccessObserved observed;
};

struct Fill {
    std::string registration;
    std::int64_t at_ms = 0;
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
    KAKITOME_RETURN_IF_ERROR(
        evidence::for_each_evidence_event(store, incident, [&](const RecordedEvent& event) {
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
        if (served_ok(request) && !is_hit(o.cache)) owner.emplace(o.registration, o.client);
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
    std::unordered_map<std::string, Fill> cache;
    for (const auto& request : requests) {
        const auto& o = request.observed;
        if (!served_ok(request)) continue;
        std::string served;
        if (is_hit(o.cache)) {
            const auto fill = cache.find(o.cache_key);
            if (fill == cache.end() ||
                request.at_ms - fill->second.at_ms > o.cache_ttl_seconds * 1000) {
                ++review.hits_without_fill;
                continue;
            }
            served = fill->second.registration;
        } else {
            served = o.registration;
            if (stores_response(o.cache)) cache[o.cache_key] = {o.registration, request.at_ms};
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
