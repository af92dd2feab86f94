// The incident review over evidence imported from another system (docs/incidents.md, "An
// inquiry into another system"): whose registration page each request was really served.
//
// A cache hit serves what the last fill stored under the cache key, not what the requester
// asked for. So the requests are replayed in time order through a model of that cache: a
// request the origin answered (Miss, RefreshHit, EXPIRED, BYPASS, or no cache at all) was served
// the registration it named and, when the cache stored it (all of those but no cache), fills
// its key for the mapping's TTL (at its CloudFront edge: each edge caches apart); a hit (Hit,
// HIT, STALE, UPDATING, REVALIDATED) was served the registration of the key's last live fill.
// Only 2xx answers serve a page (a 304 re-used the client's own copy; a 403 served nothing).
// What the logs cannot show is not found: a Miss that CloudFront's regional cache answered
// with another edge's fill looks like the origin's answer.
//
// A registration's owner is the client that first had its page from the origin (the
// registrant finishing the registration), else the first that asked for it. A page served to
// any other client is a disclosure to someone not entitled to it: one ReviewRow per imported
// registration, each such request a DisclosureRecord (principal "client:<hash>", role
// "external", endpoint "METHOD path (cache word)", remote: the registrations that client owns).
// A hit whose fill is not in the logs cannot be attributed and is counted, never guessed; nor
// is a hit with two candidates: logs give whole seconds, so when two fills of the key, or the
// last fill and the hit, share a second, the order is unknown and the hit is listed as
// ambiguous with both registrations. Cache words are read in any case; a word the model does not
// know is taken as the origin's answer and counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/domain/external_evidence_events.h"
#include "events/event_store.h"
#include "projections/incident_review.h"

namespace kakitome {

struct ExternalEvidenceReview {
    std::vector<ReviewRow> rows;  // every imported registration, then any other page served
    std::uint64_t requests = 0;
    std::uint64_t hits_without_fill = 0;
    std::uint64_t ambiguous_hits = 0;       // two candidate fills in one logged second
    std::vector<AmbiguousHit> ambiguous;    // the first 100, inside the window
    std::uint64_t unknown_cache_words = 0;  // taken as the origin's answer, counted
    std::vector<domain::ExternalFileImported> files;
    bool empty() const { return files.empty(); }
};

// Disclosures inside [from_ms, to_ms) count; the cache is replayed from the first request.
Result<ExternalEvidenceReview> review_external_evidence(const EventStore& store,
                                                        const std::string& incident,
                                                        std::int64_t from_ms, std::int64_t to_ms);

}  // namespace kakitome
