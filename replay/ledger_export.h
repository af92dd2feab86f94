// Exporting the ledger for auditors, and verifying an export with nothing but the public key
// (docs/design.md §3: "checked by `kakitome verify`, which needs only an export and the public
// key"). An export is JSON lines:
//   {"type":"ledger","origin":…,"verifier_key":…,"size":N}
//   {"type":"event","seq":S,"hash":hex,"canonical":"<the canonical bytes, as a JSON string>"}
//   {"type":"checkpoint","size":N,"note":"<signed note>"}   (after the event with seq N)
// PII stays as sealed in the events: an erased application's data cannot be opened from an
// export either.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "events/event_store.h"
#include "events/ledger.h"

namespace kakitome {

struct ExportReport {
    std::uint64_t events = 0;
    std::uint64_t checkpoints = 0;
};

// Writes every event up to the latest stored checkpoint, and every stored checkpoint, so the
// export ends with a signature over its last event. progress(seq) every 100,000 events.
Result<ExportReport> export_ledger(const EventStore& store, const Ledger& ledger, std::ostream& out,
                                   const std::function<void(std::uint64_t)>& progress = {});

struct ExportVerdict {
    bool intact = false;  // every event is covered by a verified signed checkpoint
    std::uint64_t events = 0;
    std::uint64_t checkpoints = 0;
    std::uint64_t line = 0;  // first bad line (1-based) when not intact
    std::string problem;     // what is wrong there
    // With allow_unsigned_tail: events after the last signed checkpoint (the verdict is then
    // "unsigned", never "intact").
    std::uint64_t unsigned_events = 0;
    // The last checkpoint line's note, with any witness cosignatures on it (checked by the
    // caller against the witness keys it trusts).
    std::string last_checkpoint_note;
};

// Recomputes each event's hash from its canonical bytes, the prev_hash chain and seq order, the
// Merkle tree, each checkpoint's signature and root, and the consistency of each checkpoint with
// the one before; and that the export is whole: it starts with its header, the header's size is
// the number of events, and it ends with a signed checkpoint covering the last event. Events
// after the last checkpoint are tampering (anyone can append or cut them and re-chain), unless
// `allow_unsigned_tail`, when they are counted as unsigned_events. invalid_argument for an
// unusable verifier key (malformed, or its key id does not match its key).
Result<ExportVerdict> verify_export(std::istream& in, const std::string& verifier_key,
                                    bool allow_unsigned_tail = false);

}  // namespace kakitome
