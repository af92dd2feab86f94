// Projection: a fold of the event log into rows (one column family per projection).
// Rows are keyed by a string (an application id) and serialized deterministically, so a
// projection rebuilt from seq 1 can be compared byte for byte with the stored one.
// Events reach apply() at their current schema (the runner reads them through
// domain::for_each_current_event). A change to what a row holds raises row_format(): the runner
// then drops the stored rows and folds the log again instead of mixing two formats.
// Implementations are not thread-safe; ProjectionRunner drives one from one thread.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/base/status.h"
#include "events/event.h"

namespace kakitome {

// The keys of the rows a fold changed, which the runner persists after each page. A rebuild in
// memory persists nothing: it folds into ChangedRows::ignored(), which keeps no key, so its
// millions of inserts cost nothing.
class ChangedRows {
  public:
    ChangedRows() = default;
    static ChangedRows ignored() {
        ChangedRows rows;
        rows.kept_ = false;
        return rows;
    }
    void insert(std::string_view key) {
        if (kept_ && keys_.find(key) == keys_.end()) keys_.emplace(key);
    }
    const std::set<std::string, std::less<>>& keys() const { return keys_; }
    void clear() { keys_.clear(); }

  private:
    bool kept_ = true;
    std::set<std::string, std::less<>> keys_;
};

class Projection {
  public:
    virtual ~Projection() = default;
    virtual std::string name() const = 0;
    // The version of the rows' serialisation; stores written before formats existed are 1.
    virtual int row_format() const = 0;
    // Folds one event; adds the keys of the rows it changed to `changed`. An event whose payload
    // does not decode is an error (bad_payload) and changes nothing.
    virtual Status apply(const RecordedEvent& event, ChangedRows& changed) = 0;
    virtual std::vector<std::string> keys() const = 0;
    virtual std::optional<std::string> row(const std::string& key) const = 0;
    // Restores a stored row; false when the bytes are not a row of this projection.
    virtual bool load_row(const std::string& key, const std::string& bytes) = 0;
    // Drops a row from memory (the runner undoing a page it could not store, for a row that has
    // no stored copy).
    virtual void forget_row(const std::string& key) = 0;
};

}  // namespace kakitome
