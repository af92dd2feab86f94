// DisclosureIndex: every PiiDisclosed event indexed by application and by principal, plus each
// application's owner (the applicant principal "applicant:<sender key>" from its form mail) and
// registration time — the data incident responders query (docs/design.md §5: "who saw what is a
// query over these events"). Kept in its own column family, caught up like a projection (rows and
// position in one WriteBatch per page, or for a page of thousands of rows in one ingestion of table
// files), so who-saw is one prefix scan. Every entry is a key alone naming the disclosure's seq, by
// application and by principal; the record is read from the log there, one point lookup per
// disclosure, and an entry the log does not bear out is corruption, not a shorter answer. A window
// of time needs no entries: the log's timestamps never go back, so it is one range of the log, read
// as far as the index has reached. catch_up() from one thread; queries are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event_store.h"
#include "events/sorted_table.h"
#include "projections/projection.h"

namespace kakitome {

namespace domain {
struct UpcastStep;  // engine/domain/upcasting.h
}

inline constexpr const char* kDisclosuresFamily = "projection_disclosures";

struct DisclosureRecord {
    std::uint64_t seq = 0;
    std::int64_t at_ms = 0;
    std::string at;
    std::string application;
    std::string principal;
    std::string role;
    std::string request_id;
    std::string endpoint;
    std::string remote;
    std::vector<std::string> fields;
};

// The record as JSON text (the form every answer has had), and a list of them as a JSON array.
std::string disclosure_to_json(const DisclosureRecord& record);
std::string disclosures_to_json(const std::vector<DisclosureRecord>& records);

struct Registration {
    std::string application;
    std::string owner;  // "applicant:<sender key>"
    std::int64_t registered_at_ms = 0;
};

// The index rows one event adds (key, value): the one definition DisclosureIndex writes and
// DisclosureProjection rebuilds.
Result<std::vector<std::pair<std::string, std::string>>> disclosure_rows_of(
    const RecordedEvent& event);

// The same index as a Projection named "disclosures", in memory: `kakitome replay --projection
// disclosures` loads the stored rows (family kDisclosuresFamily, position in `meta` under the
// projection key) and a rebuild from seq 1, and compares them row by row, so a row deleted from
// the index (a who-saw answer that silently shrank) is found.
class DisclosureProjection : public Projection {
  public:
    std::string name() const override { return "disclosures"; }
    int row_format() const override;
    Status apply(const RecordedEvent& event, ChangedRows& changed) override;
    std::vector<std::string> keys() const override;
    std::optional<std::string> row(const std::string& key) const override;
    bool load_row(const std::string& key, const std::string& bytes) override;
    void forget_row(const std::string& key) override { rows_.erase(key); }

  private:
    std::map<std::string, std::string> rows_;
};

// The last seq whose rows the stored index holds (Seq{0}: none, or not readable), as a reader of
// this database sees it: a page written through RocksDB's log names the last page ingested
// before it, and when this database's MANIFEST lacks that ingestion (a copy that took the
// MANIFEST before it and the log after: a checkpoint), the position is that of the last page it
// does hold. A read-only reader beside a writer (a RocksDB secondary) is not covered: one that
// lists the log after a flushed log file was deleted can miss that file's rows, of this index
// as of any other family; an entry naming an event such a reader misses is answered
// `unavailable` (try again), not as damage.
Seq disclosure_index_position(const Database& database);

// A page of at least `rows_worth_tables` rows (by default kDisclosureRowsWorthTables) is written
// as table files (events/sorted_table.h), its position a row of those tables, so one ingestion
// adds both; a catch-up of many events (a first start over a stored log, a rebuilt index) runs
// as one bulk load (docs/performance.md, "Index catch-up through table files"). Smaller pages,
// all of them with kDisclosureTablesNever, go through one batch.
inline constexpr std::size_t kDisclosureRowsWorthTables = 4096;
inline constexpr std::size_t kDisclosureTablesNever = std::numeric_limits<std::size_t>::max();

class DisclosureIndex {
  public:
    // Stored events are upgraded by `upcast_steps` before they are indexed and read, or by the
    // system's steps (domain::upcast_steps()) when it is null; tests give chains of their own.
    explicit DisclosureIndex(const EventStore& store,
                             std::size_t rows_worth_tables = kDisclosureRowsWorthTables,
                             const std::vector<domain::UpcastStep>* upcast_steps = nullptr)
        : store_(store), rows_worth_tables_(rows_worth_tables), upcast_steps_(upcast_steps) {}

    // Indexes the events after position() up to `until` (Seq{0}: the head when called). Far
    // behind the head, the calls that bring the index there run as one bulk load; it ends in a
    // call within reach of the head once compaction has brought level 0 back below its slowdown
    // trigger (until then bulk_loading()), without waiting for that compaction.
    Status catch_up(Seq until = Seq{0});
    Seq position() const;
    // True while a bulk load begun far behind the head has not ended: level 0 of the index's
    // family is still being compacted back below its slowdown trigger.
    bool bulk_loading() const { return bulk_load_.has_value(); }
    // Ends a bulk load still running, waiting up to `patience` for that compaction: for a caller
    // about to let the index go (a command-line run), which no later catch-up follows.
    Status settle(std::chrono::milliseconds patience = std::chrono::minutes(10));

    Result<std::vector<DisclosureRecord>> who_saw(const std::string& application) const;
    Result<std::vector<DisclosureRecord>> saw_what(const std::string& principal) const;
    // Disclosures with from_ms <= at < to_ms, in time order (then seq, then application), as far
    // as the index has reached.
    Result<std::vector<DisclosureRecord>> in_window(std::int64_t from_ms, std::int64_t to_ms) const;
    Result<std::optional<Registration>> registration(const std::string& application) const;
    // Applications whose form mail arrived with from_ms <= at < to_ms.
    Result<std::vector<Registration>> registered_in(std::int64_t from_ms, std::int64_t to_ms) const;
    // The applications registered before `before_ms`, oldest first (an incident's scope).
    Result<std::vector<std::string>> registered_before(std::int64_t before_ms) const;

  private:
    const EventStore& store_;
    std::size_t rows_worth_tables_;
    const std::vector<domain::UpcastStep>* upcast_steps_;
    std::optional<BulkLoad> bulk_load_;
};

}  // namespace kakitome
