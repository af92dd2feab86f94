// ProjectionRunner: keeps a projection's rows in its own column family ("projection_<name>")
// and its position (the last seq folded) in `meta`, written in one atomic WriteBatch per page
// of events, so after a crash the rows and the position always agree. The rows' format
// (Projection::row_format) is stored beside the position; rows of another format are dropped
// and replaced by a fold from seq 1 when the runner first persists.
// Catch-up is idempotent: it resumes after the stored position and never folds an event twice.
// In a read-only database catch_up() folds in memory only. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "events/database.h"
#include "events/event_store.h"
#include "projections/projection.h"

namespace kakitome {

std::string projection_family(const std::string& name);
// The families of every projection kakitome keeps, for Database::open.
const std::vector<std::string>& projection_families();

class ProjectionRunner {
  public:
    ProjectionRunner(const EventStore& store, Projection& projection);

    // Loads the stored rows and position (none yet: position 0).
    Status load();
    // Folds events after position() up to the head (or `until`); progress(position, head) is
    // called after each page when given. A page that fails (an event that does not fold, a write
    // that does not go through) leaves its rows as stored, so folding it again later applies
    // each of its events once.
    Status catch_up(Seq until = Seq{0}, const std::function<void(Seq, Seq)>& progress = {});
    Seq position() const { return position_; }
    // The format of the rows found by load() (1 for rows stored before formats were recorded).
    // When it differs from the projection's row_format() the stored rows were not loaded.
    int stored_format() const { return stored_format_; }

  private:
    Status persist(const ChangedRows& changed, Seq position);
    Status restore_stored_rows(const ChangedRows& changed);
    const EventStore& store_;
    Projection& projection_;
    Seq position_{0};
    int stored_format_ = 0;  // 0 until load() finds stored rows
};

// Folds seq 1..until into a fresh projection (no storage), verifying the hash chain as it goes
// (corruption, reason chain_broken, naming the seq).
Status rebuild_projection(const EventStore& store, Projection& fresh, Seq until,
                          const std::function<void(Seq, Seq)>& progress = {});
// Every row, by key, as stored bytes.
std::map<std::string, std::string> projection_rows(const Projection& projection);

}  // namespace kakitome
