// The paging loop of a replay that takes nothing on trust (rebuilds, time travel): like
// for_each_page (event_store.h), but before a page is handed on, every record's canonical bytes
// are hashed and compared with the hash stored beside them, and each prev_hash with the hash
// before it. The stored bytes are hashed as they are, never re-serialised, so the check costs one
// SHA-256 per event; the canonical-form check stays with ChainVerifier (`kakitome verify`).
//
// Reading and hashing the next page's records runs on a second thread while the calling thread
// decodes and links (seq, prev_hash) the current page's records and folds them, so a replay uses
// both cores.
#pragma once

#include <functional>
#include <vector>

#include "events/base/sha256.h"
#include "events/event_store.h"

namespace kakitome {

// Pages of events with from <= seq <= until (until Seq{0}: the head when called), in order.
// `previous` is the hash of seq from-1 (all zeros when from is 1). A break stops the loop with
// corruption, reason chain_broken, naming the first bad seq; the first error `fold` returns
// stops it too. No page after a bad record is folded.
Status for_each_verified_page(
    const EventStore& store, Seq from, Seq until, const Sha256Digest& previous,
    const std::function<Status(const std::vector<RecordedEvent>& page)>& fold,
    std::size_t page_events = kFollowerPageEvents);

}  // namespace kakitome
