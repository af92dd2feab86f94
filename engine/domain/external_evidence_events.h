// Evidence from another system, imported into an incident (docs/incidents.md, "An inquiry into
// another system"): the mapping that says how to read that system's files and the file as
// received go on the incident's stream (incident-<id>); each registration and each request tied
// to one go on the incident's evidence stream (evidence-<id>), so the incident's own steps stay
// a short stream however many log lines are imported.
//
// Personal data of the other system's registrants is sealed under the evidence stream's data
// key (crypto-shredded with it); addresses, user agents and cookies are only ever stored as a
// hash keyed with that key, so once it is destroyed nobody can link them to a person again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/domain/payload_codec.h"

namespace kakitome::domain {

// The mapping file as given (canonical JSON text; engine/incident/evidence_mapping.h reads it).
struct ExternalMappingRecorded {
    static constexpr std::string_view kType = "ExternalMappingRecorded";
    static constexpr int kSchema = 1;
    std::string mapping_json;
    std::string sha256;
    static constexpr auto fields() {
        using E = ExternalMappingRecorded;
        return std::tuple{field("mapping_json", &E::mapping_json), field("sha256", &E::sha256)};
    }
};

struct ExternalBadLine {
    std::int64_t line = 0;
    std::string reason;
    static constexpr auto fields() {
        return std::tuple{field("line", &ExternalBadLine::line),
                          field("reason", &ExternalBadLine::reason)};
    }
};

// One imported file, appended after its rows: what was in it and what became of every line.
struct ExternalFileImported {
    static constexpr std::string_view kType = "ExternalFileImported";
    static constexpr int kSchema = 1;
    std::string kind;    // registrations | access-log
    std::string format;  // csv | cloudfront | nginx-combined | apache-combined | jsonl
    std::string name;    // the file's name as given
    std::string sha256;  // of the bytes as received (compressed, when gzip)
    std::int64_t bytes = 0;
    std::string mapping_sha256;
    std::int64_t lines = 0;             // data lines (headers and comments not counted)
    std::int64_t recorded = 0;          // registrations or requests appended
    std::int64_t unrelated = 0;         // requests for pages that carry no registration
    std::int64_t already_recorded = 0;  // the same line imported before (another file)
    std::int64_t bad_lines = 0;
    std::vector<ExternalBadLine> first_bad_lines;  // the first 100, with their reasons
    std::int64_t cache_ttl_seconds = 0;            // the mapping's, for the requests' review
    static constexpr auto fields() {
        using E = ExternalFileImported;
        return std::tuple{field("kind", &E::kind),
                          field("format", &E::format),
                          field("name", &E::name),
                          field("sha256", &E::sha256),
                          field("bytes", &E::bytes),
                          field("mapping_sha256", &E::mapping_sha256),
                          field("lines", &E::lines),
                          field("recorded", &E::recorded),
                          field("unrelated", &E::unrelated),
                          field("already_recorded", &E::already_recorded),
                          field("bad_lines", &E::bad_lines),
                          field("first_bad_lines", &E::first_bad_lines),
                          field("cache_ttl_seconds", &E::cache_ttl_seconds)};
    }
};

// The evidence's data key destroyed (crypto-shredding): the registrants' sealed data can no
// longer be opened and the keyed hashes no longer linked to an address or a person. What the
// review derives from the hashes (who was served whose page) still stands.
struct ExternalEvidenceErased {
    static constexpr std::string_view kType = "ExternalEvidenceErased";
    static constexpr int kSchema = 1;
    std::string reason;
    static constexpr auto fields() {
        return std::tuple{field("reason", &ExternalEvidenceErased::reason)};
    }
};

// One registration of the other system. `sealed` holds {organization, department, name, email,
// phone}; the keys are keyed hashes for matching without opening it.
struct ExternalRegistrationImported {
    static constexpr std::string_view kType = "ExternalRegistrationImported";
    static constexpr int kSchema = 1;
    std::string registration;
    std::string registered_at;  // RFC 3339; empty when the export has no time
    std::string sealed;
    std::string email_key;
    std::string organization_key;
    std::string file_sha256;
    std::int64_t line = 0;
    static constexpr auto fields() {
        using E = ExternalRegistrationImported;
        return std::tuple{field("registration", &E::registration),
                          field("registered_at", &E::registered_at),
                          field("sealed", &E::sealed),
                          field("email_key", &E::email_key),
                          field("organization_key", &E::organization_key),
                          field("file_sha256", &E::file_sha256),
                          field("line", &E::line)};
    }
};

// One request for a page that carries a registration's personal data. `registration` is the one
// the request named (empty when it named none: a crawler on the bare page); which registration's
// page was actually served is the review's question (projections/external_evidence.h).
struct ExternalAccessObserved {
    static constexpr std::string_view kType = "ExternalAccessObserved";
    static constexpr int kSchema = 1;
    std::string registration;
    std::string at;      // RFC 3339 with milliseconds
    std::string client;  // keyed hash of address and user agent
    std::string method;
    std::string path;  // path and query as logged
    std::int64_t status = 0;
    std::string cache;      // the log's own word (Hit, Miss, RefreshHit, HIT, MISS…); empty: none
    std::string cache_key;  // keyed hash of the key the cache stored the page under (mapping)
    std::int64_t cache_ttl_seconds = 0;  // how long the cache kept a page (mapping)
    std::int64_t bytes = 0;
    std::string request_id;  // the log's (CloudFront x-edge-request-id), else "<file>:<line>"
    std::string line_key;    // SHA-256 of the line: the same line from another file adds nothing
    static constexpr auto fields() {
        using E = ExternalAccessObserved;
        return std::tuple{field("registration", &E::registration),
                          field("at", &E::at),
                          field("client", &E::client),
                          field("method", &E::method),
                          field("path", &E::path),
                          field("status", &E::status),
                          field("cache", &E::cache),
                          field("cache_key", &E::cache_key),
                          field("cache_ttl_seconds", &E::cache_ttl_seconds),
                          field("bytes", &E::bytes),
                          field("request_id", &E::request_id),
                          field("line_key", &E::line_key)};
    }
};

}  // namespace kakitome::domain
