#include "engine/evidence/evidence_import.h"

#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/evidence/csv_table.h"
#include "engine/evidence/evidence_mapping.h"
#include "engine/evidence/line_reader.h"
#include "engine/form/text_normalization.h"
#include "engine/incident/incident_record.h"
#include "events/base/hmac.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"

namespace kakitome::evidence {

using nlohmann::json;

namespace {

constexpr std::size_t kBatchEvents = 2000;
constexpr std::size_t kKeptBadLines = 100;
constexpr std::size_t kHashHexDigits = 32;

// What an import needs to know about the incident before it reads a line.
struct IncidentEvidence {
    std::optional<EvidenceMapping> mapping;
    std::vector<std::pair<std::uint64_t, domain::ExternalFileImported>> files;
};

Result<IncidentEvidence> load_incident_evidence(const EventStore& store,
                                                const std::string& incident) {
    auto record = load_incident(store, incident);
    if (!record.is_ok()) return record.status();
    if (record->closed)
        return Status::failed_precondition("incident " + incident + " is closed")
            .with_reason("incident_closed");
    auto events = domain::read_current_stream(store, domain::incident_stream(incident));
    if (!events.is_ok()) return events.status();
    IncidentEvidence evidence;
    for (const auto& event : events.value()) {
        KAKITOME_RETURN_IF_ERROR(domain::when<domain::ExternalMappingRecorded>(
            event, [&](const domain::ExternalMappingRecorded& recorded) {
                auto mapping = parse_mapping(recorded.mapping_json);
                if (mapping.is_ok()) evidence.mapping = std::move(mapping).value();
            }));
        KAKITOME_RETURN_IF_ERROR(domain::when<domain::ExternalFileImported>(
            event, [&](const domain::ExternalFileImported& file) {
                evidence.files.emplace_back(event.seq.value, file);
            }));
    }
    return evidence;
}

// Appends events to the evidence stream in batches at its exact version.
class EvidenceAppender {
  public:
    EvidenceAppender(EventStore& store, const std::string& incident, std::string actor,
                     StreamVersion version)
        : store_(store),
          stream_(domain::evidence_stream(incident)),
          actor_(std::move(actor)),
          version_(version) {}
    template <typename Payload>
    Status add(const Payload& payload) {
        pending_.push_back(domain::new_event(payload, {.actor = actor_}));
        return pending_.size() >= kBatchEvents ? flush() : Status::ok();
    }
    Status flush() {
        if (pending_.empty()) return Status::ok();
        auto appended =
            store_.append(stream_, ExpectedVersion::exact(version_), std::move(pending_));
        pending_.clear();
        if (!appended.is_ok()) {
            if (appended.status().code() == StatusCode::conflict)
                return Status::conflict(
                           "another import into this incident ran at the same time; run this "
                           "one again (it adds only what is missing)")
                    .with_reason("concurrent_import");
            return appended.status();
        }
        version_ = appended->stream_version;
        return Status::ok();
    }

  private:
    EventStore& store_;
    std::string stream_;
    std::string actor_;
    StreamVersion version_;
    std::vector<NewEvent> pending_;
};

struct LineAccount {
    domain::ExternalFileImported file;
    void bad(std::uint64_t line, std::string reason) {
        ++file.bad_lines;
        if (file.first_bad_lines.size() < kKeptBadLines)
            file.first_bad_lines.push_back({static_cast<std::int64_t>(line), std::move(reason)});
    }
};

// Size and modification time: whether a file changed between its digest and the end of its
// reading, without hashing it twice.
using FileStamp = std::pair<std::uintmax_t, std::filesystem::file_time_type>;
FileStamp file_stamp(const std::filesystem::path& path) {
    std::error_code ignored;
    return {std::filesystem::file_size(path, ignored),
            std::filesystem::last_write_time(path, ignored)};
}

// Checks what every import checks first, and answers a duplicate without reading the file.
struct Prepared {
    IncidentEvidence evidence;
    FileDigest digest;
    std::optional<ImportOutcome> duplicate;
    FileStamp stamp;  // before the digest: a change after it shows at the end of the reading
};

Result<Prepared> prepare(const EventStore& store, const std::string& incident,
                         const ImportSource& source, const std::string& kind) {
    auto evidence = load_incident_evidence(store, incident);
    if (!evidence.is_ok()) return evidence.status();
    if (!evidence->mapping)
        return Status::failed_precondition("incident " + incident +
                                           " has no mapping yet: give --mapping FILE (or POST "
                                           "/v1/incidents/" +
                                           incident + "/steps/mapping) first")
            .with_reason("no_mapping");
    const auto stamp = file_stamp(source.path);
    auto digest = digest_file(source.path);
    if (!digest.is_ok()) return digest.status();
    Prepared prepared{std::move(evidence).value(), digest.value(), std::nullopt, stamp};
    for (const auto& [seq, file] : prepared.evidence.files) {
        if (file.kind == kind && file.sha256 == prepared.digest.sha256 &&
            file.mapping_sha256 == prepared.evidence.mapping->sha256)
            prepared.duplicate = ImportOutcome{true, seq, file};
    }
    return prepared;
}

Result<ImportOutcome> finish(EventStore& store, const std::string& incident,
                             const std::string& actor, EvidenceAppender& appender,
                             LineAccount& account) {
    KAKITOME_RETURN_IF_ERROR(appender.flush());
    auto appended = store.append(domain::incident_stream(incident), ExpectedVersion::any(),
                                 {domain::new_event(account.file, {.actor = actor})});
    if (!appended.is_ok()) return appended.status();
    return ImportOutcome{false, appended->last_seq.value, account.file};
}

// "2025/5/20 9:05", "2025-05-20 09:05:00", RFC 3339: Excel and databases write all of them.
std::optional<std::int64_t> registration_time_ms(const std::string& text,
                                                 const std::string& time_zone) {
    if (auto exact = parse_rfc3339_ms(text)) return exact;
    std::vector<int> parts;
    int value = -1;
    for (char c : text + " ") {
        if (c >= '0' && c <= '9') {
            value = (value < 0 ? 0 : value * 10) + (c - '0');
            if (value > 9999) return std::nullopt;
        } else {
            if (value >= 0) parts.push_back(value);
            value = -1;
            if (c != '-' && c != '/' && c != ' ' && c != ':' && c != 'T') return std::nullopt;
        }
    }
    if (parts.size() < 3 || parts.size() > 6 || parts[0] < 1900) return std::nullopt;
    parts.resize(6, 0);
    char formatted[64];
    std::snprintf(formatted, sizeof formatted, "%04d-%02d-%02dT%02d:%02d:%02d%s", parts[0],
                  parts[1], parts[2], parts[3], parts[4], parts[5], time_zone.c_str());
    return parse_rfc3339_ms(formatted);
}

Result<AeadKey> evidence_key(DataKeyVault& vault, const std::string& incident) {
    return vault.create(domain::evidence_stream(incident));
}

}  // namespace

std::string evidence_hash_key(const AeadKey& evidence_key) {
    const std::string key(reinterpret_cast<const char*>(evidence_key.data()), evidence_key.size());
    // A key of its own for hashing, never the sealing key itself.
    return hmac_sha256(key, "kakitome evidence hash key");
}

std::string evidence_hash(const std::string& hash_key, std::string_view purpose,
                          std::string_view value) {
    std::string message(purpose);
    message += '\0';
    message += value;
    const std::string digest = hmac_sha256(hash_key, message);
    return to_hex(reinterpret_cast<const std::uint8_t*>(digest.data()), digest.size())
        .substr(0, kHashHexDigits);
}

Result<std::uint64_t> record_mapping(EventStore& store, const std::string& incident,
                                     const std::string& mapping_json, const std::string& actor) {
    auto mapping = parse_mapping(mapping_json);
    if (!mapping.is_ok()) return mapping.status();
    auto evidence = load_incident_evidence(store, incident);
    if (!evidence.is_ok()) return evidence.status();
    if (evidence->mapping && evidence->mapping->sha256 == mapping->sha256) return 0;
    auto appended =
        store.append(domain::incident_stream(incident), ExpectedVersion::any(),
                     {domain::new_event(
                         domain::ExternalMappingRecorded{mapping->canonical_json, mapping->sha256},
                         {.actor = actor})});
    if (!appended.is_ok()) return appended.status();
    return appended->last_seq.value;
}

Result<std::optional<ExternalContact>> open_external_registration(const EventStore& store,
                                                                  const DataKeyVault& vault,
                                                                  const std::string& incident,
                                                                  const std::string& registration) {
    std::optional<std::string> sealed;
    KAKITOME_RETURN_IF_ERROR(domain::for_each_current_stream_event(
        store, domain::evidence_stream(incident), [&](const RecordedEvent& e) {
            if (sealed || !domain::is<domain::ExternalRegistrationImported>(e)) return Status::ok();
            return domain::when<domain::ExternalRegistrationImported>(
                e, [&](const domain::ExternalRegistrationImported& imported) {
                    if (imported.registration == registration) sealed = imported.sealed;
                });
        }));
    if (!sealed) return std::optional<ExternalContact>();
    auto opened = vault.open_sealed(domain::evidence_stream(incident), *sealed);
    if (!opened.is_ok()) return opened.status();
    const json personal = json::parse(opened.value(), nullptr, false);
    if (!personal.is_object())
        return Status::corruption("the sealed registration of " + registration + " is not JSON");
    return std::optional<ExternalContact>(ExternalContact{
        personal.value("organization", ""), personal.value("department", ""),
        personal.value("name", ""), personal.value("email", ""), personal.value("phone", "")});
}

Result<std::uint64_t> erase_evidence(EventStore& store, DataKeyVault& vault,
                                     const std::string& incident, const std::string& reason,
                                     const std::string& actor) {
    if (reason.empty())
        return Status::invalid_argument("erasing the evidence needs a reason")
            .with_reason("missing_argument");
    auto record = load_incident(store, incident);
    if (!record.is_ok()) return record.status();
    // The key goes first: an event saying "erased" over a key that survived would be a lie.
    KAKITOME_RETURN_IF_ERROR(vault.destroy(domain::evidence_stream(incident)));
    auto appended =
        store.append(domain::incident_stream(incident), ExpectedVersion::any(),
                     {domain::new_event(domain::ExternalEvidenceErased{reason}, {.actor = actor})});
    if (!appended.is_ok()) return appended.status();
    return appended->last_seq.value;
}

Result<ImportOutcome> import_registrations(EventStore& store, DataKeyVault& vault,
                                           const std::string& incident, const ImportSource& source,
                                           const std::string& actor) {
    auto prepared = prepare(store, incident, source, "registrations");
    if (!prepared.is_ok()) return prepared.status();
    if (prepared->duplicate) return *prepared->duplicate;
    const EvidenceMapping& mapping = *prepared->evidence.mapping;
    if (!mapping.registrations)
        return Status::failed_precondition(
                   "the incident's mapping has no \"registrations\" section")
            .with_reason("no_mapping");
    auto table = read_csv_table(source.path, mapping.registrations->encoding);
    if (!table.is_ok()) return table.status();

    // The column of each mapped field; a mapped column missing from the header is an error in
    // the mapping or the wrong file, not something to import around.
    std::map<std::string, std::size_t> column_of;
    for (const auto& [field, header] : mapping.registrations->columns) {
        auto found = std::find(table->header.begin(), table->header.end(), header);
        if (found == table->header.end())
            return Status::invalid_argument("the export has no column \"" + header + "\" (for " +
                                            field + "); its columns are the first line")
                .with_reason("bad_csv");
        column_of[field] = static_cast<std::size_t>(found - table->header.begin());
    }
    auto key = evidence_key(vault, incident);
    if (!key.is_ok()) return key.status();
    const std::string hash_key = evidence_hash_key(key.value());
    std::set<std::string> known;
    auto version = store.stream_version(domain::evidence_stream(incident));
    if (!version.is_ok()) return version.status();
    KAKITOME_RETURN_IF_ERROR(domain::for_each_current_stream_event(
        store, domain::evidence_stream(incident), [&](const RecordedEvent& e) {
            return domain::when<domain::ExternalRegistrationImported>(
                e, [&](const domain::ExternalRegistrationImported& r) {
                    known.insert(r.registration);
                });
        }));

    LineAccount account;
    account.file = {"registrations",
                    "csv:" + table->encoding,
                    source.name,
                    prepared->digest.sha256,
                    static_cast<std::int64_t>(prepared->digest.bytes),
                    mapping.sha256};
    EvidenceAppender appender(store, incident, actor, version.value());
    const std::string evidence_stream = domain::evidence_stream(incident);
    for (const auto& row : table->rows) {
        ++account.file.lines;
        auto cell = [&](const char* field) {
            auto found = column_of.find(field);
            return found == column_of.end() || found->second >= row.cells.size()
                       ? std::string()
                       : row.cells[found->second];
        };
        // A row with more or fewer cells than the header is shifted: its cells would be sealed
        // as the wrong fields.
        if (row.cells.size() != table->header.size()) {
            account.bad(row.line, std::to_string(row.cells.size()) +
                                      " cells where the header has " +
                                      std::to_string(table->header.size()));
            continue;
        }
        const std::string registration = cell("registration");
        if (registration.empty()) {
            account.bad(row.line, "no registration id");
            continue;
        }
        if (registration.size() > 200) {
            account.bad(row.line, "registration id longer than 200 bytes");
            continue;
        }
        std::string registered_at;
        if (column_of.count("registered_at")) {
            const auto at =
                registration_time_ms(cell("registered_at"), mapping.registrations->time_zone);
            if (!at) {
                account.bad(row.line, "registered_at is not a date and time");
                continue;
            }
            registered_at = format_rfc3339_ms(*at);
        }
        if (!known.insert(registration).second) {
            ++account.file.already_recorded;
            continue;
        }
        const json personal{{"organization", cell("organization")},
                            {"department", cell("department")},
                            {"name", cell("name")},
                            {"email", cell("email")},
                            {"phone", cell("phone")}};
        auto sealed = vault.seal(evidence_stream, personal.dump());
        if (!sealed.is_ok()) return sealed.status();
        KAKITOME_RETURN_IF_ERROR(appender.add(domain::ExternalRegistrationImported{
            registration, registered_at, sealed.value(),
            evidence_hash(hash_key, "email", form::search_key(cell("email"))),
            evidence_hash(hash_key, "organization", form::search_key(cell("organization"))),
            prepared->digest.sha256, static_cast<std::int64_t>(row.line)}));
        ++account.file.recorded;
    }
    return finish(store, incident, actor, appender, account);
}

namespace {

// What the requests already recorded in the incident are, read once for all the files of one
// import (reading the evidence stream per file would cost more than the files).
struct KnownRequests {
    std::unordered_set<std::string> line_keys;
    bool loaded = false;
};

Result<ImportOutcome> import_one_access_log(EventStore& store, DataKeyVault& vault,
                                            const std::string& incident, LogFormat format,
                                            const ImportSource& source, const std::string& actor,
                                            const ImportProgress& progress, KnownRequests& known) {
    auto prepared = prepare(store, incident, source, "access-log");
    if (!prepared.is_ok()) return prepared.status();
    if (prepared->duplicate) return *prepared->duplicate;
    const EvidenceMapping& mapping = *prepared->evidence.mapping;
    if (!mapping.pages)
        return Status::failed_precondition("the incident's mapping has no \"pages\" section")
            .with_reason("no_mapping");
    auto reader = LineReader::open(source.path);
    if (!reader.is_ok()) return reader.status();
    const auto stamp_before = prepared->stamp;
    auto key = evidence_key(vault, incident);
    if (!key.is_ok()) return key.status();
    const std::string hash_key = evidence_hash_key(key.value());
    auto version = store.stream_version(domain::evidence_stream(incident));
    if (!version.is_ok()) return version.status();
    if (!known.loaded) {
        KAKITOME_RETURN_IF_ERROR(domain::for_each_current_stream_event(
            store, domain::evidence_stream(incident), [&](const RecordedEvent& e) {
                return domain::when<domain::ExternalAccessObserved>(
                    e, [&](const domain::ExternalAccessObserved& o) {
                        known.line_keys.insert(o.line_key);
                    });
            }));
        known.loaded = true;
    }
    auto& known_lines = known.line_keys;

    LineAccount account;
    account.file = {"access-log",
                    std::string(log_format_name(format)),
                    source.name,
                    prepared->digest.sha256,
                    static_cast<std::int64_t>(prepared->digest.bytes),
                    mapping.sha256};
    account.file.cache_ttl_seconds = mapping.cache.ttl_seconds;
    EvidenceAppender appender(store, incident, actor, version.value());
    AccessLogParser parser(format, mapping.extra_log_fields);
    AccessLine request;
    std::string reason;
    std::string_view line;
    const std::string file_tag = prepared->digest.sha256.substr(0, 12);
    std::unordered_map<std::string, std::uint64_t> occurrences;
    while ((*reader)->next(line)) {
        const std::uint64_t number = (*reader)->line_number();
        if (progress && number % 100000 == 0) progress(number);
        if ((*reader)->cut()) {
            ++account.file.lines;
            account.bad(number, "line longer than 64 KiB");
            continue;
        }
        const auto outcome = parser.parse(line, request, reason);
        if (outcome == AccessLogParser::Outcome::skipped) continue;
        ++account.file.lines;
        if (outcome == AccessLogParser::Outcome::bad) {
            account.bad(number, reason);
            continue;
        }
        auto registration = request.path.empty() ? Result<std::optional<std::string>>(std::nullopt)
                                                 : mapping.pages->registration_of(
                                                       request.path, request.query, request.cookie);
        if (!registration.is_ok()) {
            account.bad(number, registration.status().message());
            continue;
        }
        if (!registration->has_value()) {
            ++account.file.unrelated;
            continue;
        }
        parser.complete(request);
        // A line's key is its bytes and how often they came before in this file: the same
        // line in another file is the same request, the same line twice in one file (two
        // reloads in one second) two requests.
        std::string line_text(line);
        line_text += '\n' + std::to_string(occurrences[std::string(line)]++);
        std::string line_key = to_hex(sha256(line_text)).substr(0, kHashHexDigits);
        if (!known_lines.insert(line_key).second) {
            ++account.file.already_recorded;
            continue;
        }
        KAKITOME_RETURN_IF_ERROR(appender.add(domain::ExternalAccessObserved{
            std::move(registration).value().value(), format_rfc3339_ms(request.at_ms),
            evidence_hash(hash_key, "client",
                          request.address + '\0' + request.decoded_user_agent()),
            request.method,
            request.query.empty() ? request.path : request.path + "?" + request.query,
            request.status, request.cache,
            evidence_hash(hash_key, "cache-key",
                          request.edge + '\n' +
                              mapping.cache.key_of(request.path, request.query, request.cookie)),
            mapping.cache.ttl_seconds, request.bytes,
            request.request_id.empty() ? file_tag + ":" + std::to_string(number)
                                       : request.request_id,
            std::move(line_key)}));
        ++account.file.recorded;
    }
    if (!(*reader)->error().is_ok())
        account.bad((*reader)->line_number() + 1, (*reader)->error().message());
    // The SHA-256 that is signed must be of the bytes that were read: a log still being
    // written says so instead of being recorded under a hash of other bytes.
    if (file_stamp(source.path) != stamp_before)
        account.bad((*reader)->line_number() + 1,
                    "the file changed while it was imported; import it again once it is complete");
    return finish(store, incident, actor, appender, account);
}

}  // namespace

Result<ImportOutcome> import_access_log(EventStore& store, DataKeyVault& vault,
                                        const std::string& incident, LogFormat format,
                                        const ImportSource& source, const std::string& actor,
                                        const ImportProgress& progress) {
    KnownRequests known;
    return import_one_access_log(store, vault, incident, format, source, actor, progress, known);
}

void import_access_logs(
    EventStore& store, DataKeyVault& vault, const std::string& incident, LogFormat format,
    const std::vector<ImportSource>& sources, const std::string& actor,
    const ImportProgress& progress,
    const std::function<void(const ImportSource&, const Result<ImportOutcome>&)>& each) {
    KnownRequests known;
    for (const auto& source : sources) {
        auto outcome =
            import_one_access_log(store, vault, incident, format, source, actor, progress, known);
        // A failed file may have recorded part of itself: read the stream again for the next.
        if (!outcome.is_ok()) known = KnownRequests{};
        each(source, outcome);
    }
}

}  // namespace kakitome::evidence
