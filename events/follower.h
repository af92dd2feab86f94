// Followers: whatever keeps something derived from the log current — the projections, the
// disclosure index, the ledger's tree, the timers and the outbox. A follower remembers how far
// it has folded (its position, stored beside what it derived, in one write per page, so that a
// crash never leaves the two apart) and folds what came after, a page at a time, with
// for_each_page() (event_store.h): one paging loop for all of them.
//
// Contract: catch_up() folds every event after position() up to the head it saw when called,
// and never folds an event twice; after an error the position is that of the last page written.
// Not thread-safe: one thread drives a follower.
#pragma once

#include <string>

#include "events/base/status.h"
#include "events/domain_types.h"

namespace kakitome {

class Follower {
  public:
    virtual ~Follower() = default;
    virtual std::string name() const = 0;
    virtual Seq position() const = 0;
    virtual Status catch_up() = 0;
};

}  // namespace kakitome
