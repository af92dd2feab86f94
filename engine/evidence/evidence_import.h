// Imports another system's registration export and access logs into an incident, as events
// (engine/domain/external_evidence_events.h; docs/incidents.md, "An inquiry into another
// system").
//
// Contract:
// - The incident must exist (not_found) and be open (failed_precondition, incident_closed).
// - Files are read through the incident's mapping: the latest one recorded with
//   record_mapping(); an import before any is failed_precondition (reason no_mapping).
// - A file already imported into the incident (same kind, same SHA-256 of its bytes, same
//   mapping) adds nothing: the outcome says `duplicate` and names the earlier import's seq.
// - Every data line is accounted for: recorded, unrelated (a request for a page that carries
//   no registration), already recorded (the same registration id, or the same log line from
//   another file), or bad (counted, the first 100 kept with line number and reason). The file's
//   ExternalFileImported, with those counts, is appended last.
// - Logs are streamed: memory grows with the requests recorded (one key each), never with the
//   lines read. A registration export is read whole (up to 256 MiB; csv_table.h).
// - A file imported before under the same mapping adds nothing; under a corrected mapping it is
//   read again and adds what the old mapping missed (requests already recorded stay as they
//   were: to review under another cache key or TTL, use another incident).
// - A line is one request: the same bytes twice in one file are two requests; the same line
//   in another file (a copy, unzipped) is the same request. Events go in batches with the evidence
//   stream's exact version, so of two imports into one incident at once one fails (conflict) and is
//   simply run again: it adds only what the other did not.
// - Personal data is sealed under the evidence stream's data key; client addresses, user
//   agents and cache keys are kept only as hashes keyed with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/domain/external_evidence_events.h"
#include "engine/evidence/access_log.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::evidence {

struct ImportOutcome {
    bool duplicate = false;
    std::uint64_t seq = 0;  // the ExternalFileImported (the earlier one when duplicate)
    domain::ExternalFileImported file;
};

struct ImportSource {
    std::filesystem::path path;
    std::string name;  // as the responder knows it (the file's name)
};

// Called every 100,000 lines with the lines read so far.
using ImportProgress = std::function<void(std::uint64_t lines)>;

// Records the mapping (a JSON text, evidence_mapping.h) unless it is the one already in force.
// Returns the seq of the new ExternalMappingRecorded, or 0 when nothing changed.
Result<std::uint64_t> record_mapping(EventStore& store, const std::string& incident,
                                     const std::string& mapping_json, const std::string& actor);

Result<ImportOutcome> import_registrations(EventStore& store, DataKeyVault& vault,
                                           const std::string& incident, const ImportSource& source,
                                           const std::string& actor);

Result<ImportOutcome> import_access_log(EventStore& store, DataKeyVault& vault,
                                        const std::string& incident, LogFormat format,
                                        const ImportSource& source, const std::string& actor,
                                        const ImportProgress& progress = {});

// Crypto-shreds the incident's evidence (ExternalEvidenceErased, with the reason, which is
// required: invalid_argument otherwise): its data key is destroyed, so the registrants' data
// cannot be opened again, nor more evidence imported (unavailable, reason "erased"). Allowed on a
// closed incident too: that is when retention ends.
Result<std::uint64_t> erase_evidence(EventStore& store, DataKeyVault& vault,
                                     const std::string& incident, const std::string& reason,
                                     const std::string& actor);

// The same for several files, one after the other, reading the requests already recorded
// once for all of them; `each` hears every file's outcome.
void import_access_logs(
    EventStore& store, DataKeyVault& vault, const std::string& incident, LogFormat format,
    const std::vector<ImportSource>& sources, const std::string& actor,
    const ImportProgress& progress,
    const std::function<void(const ImportSource&, const Result<ImportOutcome>&)>& each);

// An imported registrant's contact, opened to notify them (the caller records the disclosure):
// nullopt when the incident has no such registration; unavailable (erased) once the evidence
// was erased.
struct ExternalContact {
    std::string organization, department, name, email, phone;
};
Result<std::optional<ExternalContact>> open_external_registration(const EventStore& store,
                                                                  const DataKeyVault& vault,
                                                                  const std::string& incident,
                                                                  const std::string& registration);

// The keyed hash evidence is matched by (hex), under the incident's evidence key. A key of its
// own for hashing is derived from the evidence key (evidence_hash_key, once per import).
std::string evidence_hash_key(const AeadKey& evidence_key);
std::string evidence_hash(const std::string& hash_key, std::string_view purpose,
                          std::string_view value);

}  // namespace kakitome::evidence
