// An incident's evidence bundle: what the federation hands the PPC or an auditor to show what
// its inquiry stands on (docs/incidents.md). JSON lines:
//   {"type":"evidence","incident":ID,"origin":…,"verifier_key":…,"streams":[…],"events":N}
//   {"type":"checkpoint","size":S,"note":"<signed note>"}
//   {"type":"file","kind":…,"name":…,"sha256":…,…}        one per imported file
//   {"type":"event","seq":…,"hash":…,"canonical":…,"proof":[hex,…]}   every event of the
//        incident's stream and its evidence stream, in seq order, with its RFC 9162 inclusion
//        proof in the checkpoint's tree
// verify_evidence_bundle() needs nothing but the bundle and the verifier key: each event's hash
// from its canonical bytes, each inclusion proof against the signed root, the checkpoint's
// signature, both streams of the incident the header names (never the streams it lists) complete
// from version 1 with no gap, the incident's starting with its report, the evidence stream
// holding every row the signed file events say they recorded, and each file line equal to an
// ExternalFileImported event in the bundle (so the SHA-256 of every imported file is signed).
// What it cannot show: that the log holds no event of these streams after the last one in
// the bundle (a later bundle, or the ledger, shows that).
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "events/event_store.h"
#include "events/ledger.h"

namespace kakitome {

struct EvidenceBundleReport {
    std::uint64_t events = 0;
    std::uint64_t files = 0;
    std::uint64_t checkpoint_size = 0;
};

// failed_precondition (reason checkpoint_pending) when no signed checkpoint covers the
// incident's last event yet.
Result<EvidenceBundleReport> write_evidence_bundle(const EventStore& store, const Ledger& ledger,
                                                   const std::string& incident, std::ostream& out);

struct EvidenceVerdict {
    bool intact = false;
    std::string incident;
    std::uint64_t events = 0;
    std::uint64_t files = 0;
    std::uint64_t line = 0;  // first bad line when not intact
    std::string problem;
};

// The first line must be the "evidence" header (verify_export reads ledger exports).
Result<EvidenceVerdict> verify_evidence_bundle(std::istream& in, const std::string& verifier_key);

}  // namespace kakitome
