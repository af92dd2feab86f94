#include "projections/disclosure_index.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/base/json_text.h"
#include "events/base/timestamp.h"
#include "events/storage_keys.h"

namespace kakitome {

using nlohmann::json;

namespace {

// The position a page written through RocksDB's log leaves, and beside it the position of the
// last page ingested before it (absent while none was). A page ingested as tables leaves its
// position as a row of its own tables, under kIngestedThroughKey in the disclosures family.
constexpr const char* kPositionKey = "projection:disclosures:position";
constexpr const char* kLastIngestedKey = "projection:disclosures:last-ingested";
constexpr const char* kFormatKey = "projection:disclosures:format";
// Sorts before every index key ('a' to 'r'), so it lies in the table of a page's 'a', 'o' and
// 'p' keys, and no query's range reaches it.
const std::string kIngestedThroughKey = std::string(1, '\0') + "ingested-through";
// 1: the record stored three times, under application, principal and time. 2: once, under its
// time; the application and principal entries are keys alone that name it (a third of the
// bytes to write at catch-up, half the index on disk). 3: not at all: every entry is a key
// alone naming the disclosure's seq, and a query reads the record from the log, which holds it
// already (PiiDisclosed is never sealed, so no erasure takes it away). Printing the records
// was a fifth of a catch-up's instructions, and they were most of the index's bytes. 4: no
// entries by time: the log is already in time order (its timestamps never go back), so a window
// is a range of seqs found by bisection and read from the log itself. They were a third of a
// catch-up's rows. Formats 2 and 3 spell every other entry as format 4 does: they become format
// 4 by losing their entries by time, nothing rebuilt.
// The entries are made from PiiDisclosed as upgraded (for_each_current_event), and a query finds
// them there again: an upcaster that changes a disclosure's applications, principal or time
// changes the rows, and needs a new format.
constexpr int kRowFormat = 4;
// The first byte of the entries by time formats 1 to 3 kept.
constexpr char kByTimeLetter = 't';
constexpr std::uint64_t kEventsWorthABulkLoad = 4 * kFollowerPageEvents;

using UpcastSteps = std::vector<domain::UpcastStep>;

// A stored event as this index reads it: upgraded by the given steps, or by the system's (whose
// chain is checked on first use) when none are given.
Status for_each_current(const RecordedEvent& stored, const UpcastSteps* steps,
                        const std::function<void(const RecordedEvent&)>& visit) {
    return steps ? domain::for_each_current_event(stored, *steps, visit)
                 : domain::for_each_current_event(stored, visit);
}

void append_big_endian(std::string& out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (56 - 8 * i)) & 0xff));
}

std::string big_endian(std::uint64_t value) {
    std::string out;
    append_big_endian(out, value);
    return out;
}

std::uint64_t from_big_endian(std::string_view bytes) {
    std::uint64_t value = 0;
    for (unsigned char c : bytes.substr(0, 8)) value = (value << 8) | c;
    return value;
}

// Keys: 'a' app 0 seq at -> "" | 'p' principal 0 seq at app -> ""
//       | 'o' app -> owner and time | 'r' at app -> owner
// The entries of a disclosure name its seq in the log, where its record is read.
// The keys are built in one string each: a catch-up builds two per disclosure.
std::string by_application(std::string_view application, std::uint64_t seq, std::int64_t at_ms) {
    std::string key;
    key.reserve(18 + application.size());
    key.push_back('a');
    key += application;
    key.push_back('\0');
    append_big_endian(key, seq);
    append_big_endian(key, static_cast<std::uint64_t>(at_ms));
    return key;
}
std::string by_principal(std::string_view principal, std::uint64_t seq, std::int64_t at_ms,
                         std::string_view application) {
    std::string key;
    key.reserve(18 + principal.size() + application.size());
    key.push_back('p');
    key += principal;
    key.push_back('\0');
    append_big_endian(key, seq);
    append_big_endian(key, static_cast<std::uint64_t>(at_ms));
    key += application;
    return key;
}

template <typename Integer>
void append_number(std::string& out, Integer value) {
    char digits[24];
    const auto written = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, written.ptr);
}

}  // namespace

std::string disclosure_to_json(const DisclosureRecord& record) {
    // Written directly, keys in the order nlohmann::json's map gives them: the bytes every answer
    // and every index of formats 1 and 2 held. Room for the whole text at once: grown by
    // doubling, its copies were half of writing it.
    std::size_t text_bytes = record.application.size() + record.at.size() +
                             record.principal.size() + record.role.size() +
                             record.request_id.size() + record.endpoint.size() +
                             record.remote.size();
    for (const auto& name : record.fields) text_bytes += name.size() + 3;
    std::string out;
    out.reserve(text_bytes + 180);
    using namespace std::string_view_literals;
    const auto text = [&out](std::string_view name, std::string_view value) {
        out += name;
        append_json_string(out, value);
    };
    text("{\"application\":"sv, record.application);
    text(",\"at\":"sv, record.at);
    out += ",\"at_ms\":"sv;
    append_number(out, record.at_ms);
    text(",\"endpoint\":"sv, record.endpoint);
    out += ",\"fields\":["sv;
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(out, record.fields[i]);
    }
    out += ']';
    text(",\"principal\":"sv, record.principal);
    text(",\"remote\":"sv, record.remote);
    text(",\"request_id\":"sv, record.request_id);
    text(",\"role\":"sv, record.role);
    out += ",\"seq\":"sv;
    append_number(out, record.seq);
    out += '}';
    return out;
}

std::string disclosures_to_json(const std::vector<DisclosureRecord>& records) {
    std::string out = "[";
    for (const auto& record : records)
        out += (out.size() > 1 ? "," : "") + disclosure_to_json(record);
    return out + "]";
}

namespace {

// A number the index stored under `key`; nullopt when absent; an error when it cannot be read or
// is not a number (taken for absent, it could put the position ahead of the rows).
Result<std::optional<std::uint64_t>> stored_number(const Database& database,
                                                   std::string_view family,
                                                   const std::string& key) {
    auto value = database.get(family, key);
    if (!value.is_ok()) return value.status();
    if (!value->has_value()) return std::optional<std::uint64_t>();
    std::uint64_t number = 0;
    const std::string& text = **value;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return Status::corruption("the disclosure index's stored position is not a number");
    return std::optional<std::uint64_t>(number);
}

// disclosure_index_position, or why the stored numbers cannot be read.
Result<Seq> stored_position(const Database& database) {
    const auto through_log = stored_number(database, storage_keys::kMetaFamily, kPositionKey);
    if (!through_log.is_ok()) return through_log.status();
    const auto last_ingested = stored_number(database, storage_keys::kMetaFamily, kLastIngestedKey);
    if (!last_ingested.is_ok()) return last_ingested.status();
    const auto ingested = database.has_family(kDisclosuresFamily)
                              ? stored_number(database, kDisclosuresFamily, kIngestedThroughKey)
                              : Result<std::optional<std::uint64_t>>(std::nullopt);
    if (!ingested.is_ok()) return ingested.status();
    // The log names an ingestion this database's MANIFEST does not hold (a copy that took the
    // MANIFEST before the ingestion and the log after it): the rows of that page are missing, so
    // only the pages ingested before it are whole.
    if (last_ingested.value() && (!ingested.value() || *last_ingested.value() > *ingested.value()))
        return Seq{ingested.value().value_or(0)};
    return Seq{std::max(through_log.value().value_or(0), ingested.value().value_or(0))};
}

}  // namespace

Seq disclosure_index_position(const Database& database) {
    // Unreadable: nothing is known to be indexed (a catch-up then indexes from the start).
    auto position = stored_position(database);
    return position.is_ok() ? position.value() : Seq{0};
}

Seq DisclosureIndex::position() const {
    return disclosure_index_position(*store_.database());
}

Result<std::vector<std::pair<std::string, std::string>>> disclosure_rows_of(
    const RecordedEvent& event) {
    using namespace domain;
    std::vector<std::pair<std::string, std::string>> rows;
    // Most events add no row: their time is not parsed (a catch-up reads every event).
    const auto time_of = [&event] { return parse_rfc3339_ms(event.at).value_or(0); };
    if (is<FormMailReceived>(event)) {
        const auto application = application_of(event.stream);
        if (!application) return rows;
        // Only what the rows need is read: the sealed personal data is most of a form mail.
        auto mail = decode<FormMailReceived, &FormMailReceived::sender_key>(event);
        if (!mail.is_ok()) return mail.status();
        const std::int64_t at_ms = time_of();
        std::string owner = "applicant:" + mail->sender_key;
        // {"at_ms":…,"owner":…}: the bytes nlohmann::json's dump gave, keys in its order.
        std::string owner_row = "{\"at_ms\":";
        append_number(owner_row, at_ms);
        owner_row += ",\"owner\":";
        append_json_string(owner_row, owner);
        owner_row += '}';
        std::string registration_key = "r";
        append_big_endian(registration_key, static_cast<std::uint64_t>(at_ms));
        registration_key += *application;
        rows.reserve(2);
        rows.emplace_back("o" + *application, std::move(owner_row));
        rows.emplace_back(std::move(registration_key), std::move(owner));
    } else if (is<PiiDisclosed>(event)) {
        // The rows name the applications and the principal; a query reads the rest from the log.
        auto disclosed =
            decode<PiiDisclosed, &PiiDisclosed::principal, &PiiDisclosed::applications>(event);
        if (!disclosed.is_ok()) return disclosed.status();
        const std::int64_t at_ms = time_of();
        const std::uint64_t seq = event.seq.value;
        rows.reserve(2 * disclosed->applications.size());
        for (const auto& application : disclosed->applications) {
            rows.emplace_back(by_application(application, seq, at_ms), std::string());
            rows.emplace_back(by_principal(disclosed->principal, seq, at_ms, application),
                              std::string());
        }
    }
    return rows;
}

namespace {

// Sorts a page's rows by key. A key written twice in one page (an application whose form mail
// came again within the same millisecond) keeps its last row, as writing them in log order
// would and as the rebuilt projection does; sorting by whole row kept the greater value.
// Registrations, keyed by time, usually arrive in order already (event times never go back along
// the log): they are then only checked, not sorted.
void sort_keeping_the_last_row_of_each_key(std::vector<SortedTable::Row>& rows) {
    const auto by_key = [](const auto& left, const auto& right) {
        return left.first < right.first;
    };
    if (!std::is_sorted(rows.begin(), rows.end(), by_key)) {
        // The rows' positions are sorted and the rows then moved once: a sort moving the rows
        // themselves (two strings each) spent more on the moves than on comparing keys.
        std::vector<std::uint32_t> order(rows.size());
        for (std::uint32_t at = 0; at < order.size(); ++at) order[at] = at;
        std::stable_sort(order.begin(), order.end(),
                         [&rows](std::uint32_t left, std::uint32_t right) {
                             return rows[left].first < rows[right].first;
                         });
        std::vector<SortedTable::Row> sorted;
        sorted.reserve(rows.size());
        for (const std::uint32_t at : order) sorted.push_back(std::move(rows[at]));
        rows = std::move(sorted);
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i + 1 < rows.size() && rows[i + 1].first == rows[i].first) continue;
        if (kept != i) rows[kept] = std::move(rows[i]);
        ++kept;
    }
    rows.resize(kept);
}

// The format of the stored index: the one recorded, or 1 for an index stored before formats
// were recorded; nullopt while none is stored.
Result<std::optional<int>> stored_row_format(const Database& database) {
    auto format = database.get(storage_keys::kMetaFamily, kFormatKey);
    if (!format.is_ok()) return format.status();
    if (format->has_value()) return std::optional<int>(std::atoi((*format)->c_str()));
    if (disclosure_index_position(database).value > 0) return std::optional<int>(1);
    return std::optional<int>();
}

// Rows of another format are dropped and the log indexed again from seq 1, in one write: a
// who-saw answer never mixes the two (formats 2 and 3 lose only their entries by time). The
// format is recorded before the first page, so a page ingested as tables (which carries no
// format) is never taken for an index of format 1.
Status drop_rows_of_another_format(const Database& database) {
    auto stored = stored_row_format(database);
    if (!stored.is_ok()) return stored.status();
    if (stored.value() == kRowFormat) return Status::ok();
    DatabaseBatch batch;
    if (stored.value() == 2 || stored.value() == 3) {
        // Their other entries are format 4's: only the entries by time go, and the position
        // stays. The range deletion lies where no later page's table reaches ('r' < 't').
        batch.erase_range(kDisclosuresFamily, std::string(1, kByTimeLetter),
                          std::string(1, kByTimeLetter + 1));
    } else if (stored.value()) {
        // A fresh index has no rows to drop, and a range deletion would lie over every table its
        // first pages ingest (RocksDB then flushes it and puts them into level 0 instead of the
        // bottom).
        batch.erase_range(kDisclosuresFamily, std::string(), std::string(1, '\xff'));
        batch.erase(storage_keys::kMetaFamily, kPositionKey);
        batch.erase(storage_keys::kMetaFamily, kLastIngestedKey);
    }
    batch.put(storage_keys::kMetaFamily, kFormatKey, std::to_string(kRowFormat));
    return database.write(batch);
}

}  // namespace

Status DisclosureIndex::catch_up(Seq until) {
    const auto& database = store_.database();
    if (database->read_only()) return Status::ok();
    if (!database->has_family(kDisclosuresFamily))
        return Status::internal("the disclosures column family is not open");
    KAKITOME_RETURN_IF_ERROR(drop_rows_of_another_format(*database));
    // The rows of a page are decoded, built and sorted on threads of their own (two pages at
    // once) while the page before is written on this one: building costs about twice as much.
    // A page of many rows is written as table files by the thread that prepared it and ingested
    // here: RocksDB's log and memtable cost the writing thread more than the preparing costs
    // (docs/performance.md). A page's rows are kept in two runs by the key's first letter: the
    // 'r' keys begin with the time, so a page's lie after every stored one: their table overlaps
    // nothing and RocksDB puts it straight into the bottom level (and they arrive in order: no
    // sorting). The 'a', 'o' and 'p' keys interleave with stored ones; their table, with the
    // page's position, lands in level 0, where compaction merges it.
    struct PageRows {
        std::vector<SortedTable::Row> interleaving;   // 'a', 'o', 'p'
        std::vector<SortedTable::Row> registrations;  // 'r'
    };
    const std::size_t rows_worth_tables = rows_worth_tables_;
    const auto prepare = [&database, rows_worth_tables, steps = upcast_steps_](
                             const std::vector<RecordedEvent>& page,
                             PreparedWrite& prepared) -> Status {
        PageRows rows;
        for (const auto& stored : page) {
            Status rows_status;
            const Status upgraded =
                for_each_current(stored, steps, [&](const RecordedEvent& event) {
                    if (!rows_status.is_ok()) return;
                    auto event_rows = disclosure_rows_of(event);
                    if (!event_rows.is_ok()) {
                        rows_status = event_rows.status();
                        return;
                    }
                    for (auto& row : event_rows.value())
                        (row.first.front() == 'r' ? rows.registrations : rows.interleaving)
                            .push_back(std::move(row));
                });
            KAKITOME_RETURN_IF_ERROR(upgraded);
            KAKITOME_RETURN_IF_ERROR(rows_status);
        }
        std::vector<SortedTable::Row>* runs[] = {&rows.interleaving, &rows.registrations};
        std::size_t total = 0;
        for (auto* run : runs) {
            sort_keeping_the_last_row_of_each_key(*run);
            total += run->size();
        }
        if (!page.empty() && total >= rows_worth_tables) {
            // The page's position travels in its own tables: a reader holds both or neither.
            rows.interleaving.insert(rows.interleaving.begin(),
                                     {kIngestedThroughKey, std::to_string(page.back().seq.value)});
            for (auto* run : runs) {
                if (run->empty()) continue;
                auto table = SortedTable::write(*database, kDisclosuresFamily, *run);
                if (!table.is_ok()) return table.status();
                prepared.tables.push_back(std::move(table).value());
            }
            return Status::ok();
        }
        // In key order: each memtable insert then lands next to the previous one instead of
        // searching the skip list from the top (the key spaces interleave otherwise).
        for (auto* run : runs)
            for (const auto& [key, value] : *run)
                prepared.batch.put(kDisclosuresFamily, key, value);
        return Status::ok();
    };
    const Seq from{position().value + 1};
    const Seq head = store_.head();
    const Seq last = until.value ? until : head;
    // A catch-up of many pages (a first start over a stored log) ingests a table of interleaving
    // keys per page: level 0 is then compacted every 64 of them, not every four. The load is
    // judged against the head, not `until`: serve folds a long log in slices of 50,000 events,
    // and one load spans them all.
    const auto far_behind = [&head](Seq at) {
        return head.value > at.value && head.value - at.value > kEventsWorthABulkLoad;
    };
    if (rows_worth_tables_ != kDisclosureTablesNever && !bulk_load_ && far_behind(from)) {
        auto begun = BulkLoad::begin(*database, kDisclosuresFamily, 64);
        if (!begun.is_ok()) return begun.status();
        bulk_load_.emplace(std::move(begun).value());
    }
    auto stored_ingested = stored_number(*database, kDisclosuresFamily, kIngestedThroughKey);
    if (!stored_ingested.is_ok()) return stored_ingested.status();
    std::optional<std::uint64_t> last_ingested = stored_ingested.value();
    const Status folded = for_each_prepared_page(
        store_, from, last, prepare, [&](PreparedWrite& prepared, Seq page_last) {
            if (prepared.tables.empty()) {
                prepared.batch.put(storage_keys::kMetaFamily, kPositionKey,
                                   std::to_string(page_last.value));
                // A copy whose MANIFEST predates that ingestion but whose log holds this page (a
                // checkpoint copies the MANIFEST first) then knows the rows of the ingested page
                // are missing (disclosure_index_position). None ingested: a name left by a page
                // such a copy lost goes, or the copy's position would stay where it was forever.
                if (last_ingested)
                    prepared.batch.put(storage_keys::kMetaFamily, kLastIngestedKey,
                                       std::to_string(*last_ingested));
                else
                    prepared.batch.erase(storage_keys::kMetaFamily, kLastIngestedKey);
                return database->write(prepared.batch);
            }
            if (!prepared.batch.empty()) KAKITOME_RETURN_IF_ERROR(database->write(prepared.batch));
            KAKITOME_RETURN_IF_ERROR(database->ingest(prepared.tables));
            last_ingested = page_last.value;
            return Status::ok();
        });
    // On a failure the load stays: restored at once, the triggers would stop every write over
    // the tables it left in level 0. The next call goes on with it; the destructor ends it.
    if (!folded.is_ok()) return folded;
    // Near the head the load ends, without waiting here for compaction to shrink level 0: the
    // catch-ups that follow (serve's, every few hundred milliseconds) end it once it has.
    if (bulk_load_ && !far_behind(position())) {
        auto ended = bulk_load_->try_finish();
        if (!ended.is_ok()) return ended.status();
        if (ended.value()) bulk_load_.reset();
    }
    return Status::ok();
}

Status DisclosureIndex::settle(std::chrono::milliseconds patience) {
    if (!bulk_load_) return Status::ok();
    const Status finished = bulk_load_->finish(patience);
    if (finished.is_ok()) bulk_load_.reset();
    return finished;
}

int DisclosureProjection::row_format() const {
    return kRowFormat;
}

Status DisclosureProjection::apply(const RecordedEvent& event, ChangedRows& changed) {
    auto rows = disclosure_rows_of(event);
    if (!rows.is_ok()) return rows.status();
    for (auto& [key, value] : rows.value()) {
        changed.insert(key);
        rows_[key] = std::move(value);
    }
    return Status::ok();
}

std::vector<std::string> DisclosureProjection::keys() const {
    std::vector<std::string> keys;
    keys.reserve(rows_.size());
    for (const auto& [key, value] : rows_) keys.push_back(key);
    return keys;
}

std::optional<std::string> DisclosureProjection::row(const std::string& key) const {
    auto found = rows_.find(key);
    if (found == rows_.end()) return std::nullopt;
    return found->second;
}

bool DisclosureProjection::load_row(const std::string& key, const std::string& bytes) {
    // Where the ingested pages reach is the index's position, not a row a rebuild makes.
    if (key == kIngestedThroughKey) return true;
    rows_[key] = bytes;
    return true;
}

namespace {

// A disclosure an index entry names: the seq of its event, the time the entry was filed under
// and the application.
struct EntryName {
    std::uint64_t seq = 0;
    std::int64_t at_ms = 0;
    std::string application;
    std::optional<std::string> principal;  // entries by principal name theirs
};

Status damaged_entry(const EntryName& name, std::string_view what) {
    return Status::corruption("the disclosure index names a disclosure of " + name.application +
                              " at seq " + std::to_string(name.seq) + ", but the log " +
                              std::string(what));
}

// The disclosures a stored event holds, upgraded: none for another event, several when an
// upcaster splits one stored event.
Result<std::vector<domain::PiiDisclosed>> current_disclosures(const RecordedEvent& stored,
                                                              const UpcastSteps* steps) {
    std::vector<domain::PiiDisclosed> disclosures;
    Status decoded;
    const Status upgraded = for_each_current(stored, steps, [&](const RecordedEvent& event) {
        if (!decoded.is_ok() || !domain::is<domain::PiiDisclosed>(event)) return;
        auto typed = domain::decode<domain::PiiDisclosed>(event);
        if (!typed.is_ok()) {
            decoded = typed.status();
            return;
        }
        disclosures.push_back(std::move(typed).value());
    });
    KAKITOME_RETURN_IF_ERROR(upgraded);
    KAKITOME_RETURN_IF_ERROR(decoded);
    return disclosures;
}

// Every disclosure the log holds at `seq`, upgraded. A seq past what the log holds is damage,
// except to a reader beside the writer (a RocksDB secondary), whose view of the log can lag its
// view of the index (disclosure_index.h).
Result<std::vector<domain::PiiDisclosed>> disclosures_at(const EventStore& store,
                                                         const UpcastSteps* steps,
                                                         const EntryName& name, std::string& at) {
    auto stored = store.read_event(Seq{name.seq});
    if (!stored.is_ok()) {
        if (stored.status().code() != StatusCode::not_found) return stored.status();
        if (store.database()->read_only())
            return Status::unavailable("the log this reader sees does not reach seq " +
                                       std::to_string(name.seq) +
                                       ", which the disclosure index names; try again");
        return damaged_entry(name, "holds no event there");
    }
    at = stored->at;
    return current_disclosures(stored.value(), steps);
}

DisclosureRecord record_of(std::uint64_t seq, std::int64_t at_ms, const std::string& at,
                           const std::string& application, const domain::PiiDisclosed& disclosed) {
    return {seq,
            at_ms,
            at,
            application,
            disclosed.principal,
            disclosed.role,
            disclosed.request_id,
            disclosed.endpoint,
            disclosed.remote,
            disclosed.fields_shown};
}

// The records of the named disclosures, read from the log. An entry the log does not bear out
// (no event at its seq, not a disclosure, not of its application or principal, not at its time)
// is damage: answered as corruption, never left out of the answer or taken on trust.
Result<std::vector<DisclosureRecord>> records_in_log(const EventStore& store,
                                                     const UpcastSteps* steps,
                                                     const std::vector<EntryName>& names) {
    std::vector<DisclosureRecord> out;
    out.reserve(names.size());
    // Entries of one disclosure naming several applications lie together (by principal, by
    // time): its event is read and decoded once.
    std::optional<std::uint64_t> decoded_seq;
    std::vector<domain::PiiDisclosed> disclosures;
    std::string at;
    std::int64_t at_ms = 0;
    for (const auto& name : names) {
        if (name.seq != decoded_seq) {
            auto read = disclosures_at(store, steps, name, at);
            if (!read.is_ok()) return read.status();
            disclosures = std::move(read).value();
            decoded_seq = name.seq;
            at_ms = parse_rfc3339_ms(at).value_or(0);
        }
        if (disclosures.empty()) return damaged_entry(name, "holds another event there");
        // Checked for every entry: two entries may name one seq at two times.
        if (at_ms != name.at_ms) return damaged_entry(name, "holds it at another time");
        // Every disclosure of the entry's application (and, by principal, of its principal): a
        // split may give several that name it, and some that name other applications.
        const auto names_the_entry = [&name](const domain::PiiDisclosed& candidate) {
            const auto& applications = candidate.applications;
            return std::find(applications.begin(), applications.end(), name.application) !=
                       applications.end() &&
                   (!name.principal || candidate.principal == *name.principal);
        };
        std::size_t answered = 0;
        for (const auto& disclosed : disclosures) {
            if (!names_the_entry(disclosed)) continue;
            out.push_back(record_of(name.seq, name.at_ms, at, name.application, disclosed));
            ++answered;
        }
        if (answered == 0)
            return damaged_entry(name, name.principal
                                           ? "names another application or principal there"
                                           : "names other applications there");
    }
    return out;
}

// The entries from <= key < to, named by what `name` reads from each key (nullopt: too short to
// name a disclosure, which is damage).
Result<std::vector<EntryName>> scan_entries(
    const Database& database, const std::string& from, const std::string& to,
    const std::function<std::optional<EntryName>(std::string_view key)>& name) {
    std::vector<EntryName> names;
    if (!database.has_family(kDisclosuresFamily)) return names;
    bool damaged = false;
    KAKITOME_RETURN_IF_ERROR(
        database.scan(kDisclosuresFamily, from, [&](std::string_view key, std::string_view) {
            if (key >= to) return false;
            auto named = name(key);
            if (!named) {
                damaged = true;
                return false;
            }
            names.push_back(std::move(*named));
            return true;
        }));
    if (damaged)
        return Status::corruption(
            "the disclosure index holds an entry too short to name a disclosure");
    return names;
}

// Entries by application: "a", the application, NUL, the seq, the time, nothing after them.
Result<std::vector<EntryName>> entries_by_application(const Database& database,
                                                      const std::string& application) {
    const std::string prefix = "a" + application + '\0';
    return scan_entries(database, prefix, "a" + application + '\1',
                        [&](std::string_view key) -> std::optional<EntryName> {
                            if (key.size() != prefix.size() + 16) return std::nullopt;
                            return EntryName{from_big_endian(key.substr(prefix.size(), 8)),
                                             static_cast<std::int64_t>(
                                                 from_big_endian(key.substr(prefix.size() + 8, 8))),
                                             application, std::nullopt};
                        });
}

// Entries by principal: "p", the principal, NUL, the seq, the time, the application.
Result<std::vector<EntryName>> entries_by_principal(const Database& database,
                                                    const std::string& principal) {
    const std::string prefix = "p" + principal + '\0';
    return scan_entries(
        database, prefix, "p" + principal + '\1',
        [&](std::string_view key) -> std::optional<EntryName> {
            if (key.size() <= prefix.size() + 16) return std::nullopt;
            return EntryName{
                from_big_endian(key.substr(prefix.size(), 8)),
                static_cast<std::int64_t>(from_big_endian(key.substr(prefix.size() + 8, 8))),
                std::string(key.substr(prefix.size() + 16)), principal};
        });
}

// Formats 2 and 3 spell every entry a query reads as format 4 does (their entries by time, and
// the records format 2 kept there, are not read), so a reader beside a writer that has not yet
// upgraded the index (a RocksDB secondary: it never catches up itself) reads them; format 1's
// are not.
Status readable_format(const Database& database) {
    auto format = stored_row_format(database);
    if (!format.is_ok()) return format.status();
    // None stored yet reads as the current format: an empty index.
    const int stored = format.value().value_or(kRowFormat);
    if (stored >= 2 && stored <= kRowFormat) return Status::ok();
    return Status::failed_precondition(
        "the disclosure index is of format " + std::to_string(stored) + "; this kakitome reads " +
        "format " + std::to_string(kRowFormat) + ": `serve`, or an incident command run while " +
        "no serve runs, builds it again from the log first");
}

}  // namespace

Result<std::vector<DisclosureRecord>> DisclosureIndex::who_saw(
    const std::string& application) const {
    KAKITOME_RETURN_IF_ERROR(readable_format(*store_.database()));
    auto names = entries_by_application(*store_.database(), application);
    if (!names.is_ok()) return names.status();
    return records_in_log(store_, upcast_steps_, names.value());
}

Result<std::vector<DisclosureRecord>> DisclosureIndex::saw_what(
    const std::string& principal) const {
    KAKITOME_RETURN_IF_ERROR(readable_format(*store_.database()));
    auto names = entries_by_principal(*store_.database(), principal);
    if (!names.is_ok()) return names.status();
    return records_in_log(store_, upcast_steps_, names.value());
}

Result<std::vector<DisclosureRecord>> DisclosureIndex::in_window(std::int64_t from_ms,
                                                                 std::int64_t to_ms) const {
    KAKITOME_RETURN_IF_ERROR(readable_format(*store_.database()));
    std::vector<DisclosureRecord> out;
    from_ms = std::max<std::int64_t>(0, from_ms);
    if (to_ms <= from_ms) return out;
    auto indexed = stored_position(*store_.database());
    if (!indexed.is_ok()) return indexed.status();
    // The log's timestamps never go back, so the window is one range of seqs, found by
    // bisection, and read as far as the index has reached (where who-saw answers from).
    const Seq head = store_.head();
    auto before = last_seq_at_or_before(store_, from_ms - 1);
    if (!before.is_ok()) return before.status();
    auto through = last_seq_at_or_before(store_, to_ms - 1);
    if (!through.is_ok()) return through.status();
    // An index ahead of the log: to a reader beside the writer (a RocksDB secondary) the log it
    // sees lags, and the window may go on past it; to the writer it is damage.
    if (indexed->value > head.value && through->value >= head.value) {
        const std::string where = "the disclosure index has reached seq " +
                                  std::to_string(indexed->value) + ", past the log's seq " +
                                  std::to_string(head.value);
        if (store_.database()->read_only()) return Status::unavailable(where + "; try again");
        return Status::corruption(where);
    }
    const Seq last{std::min(through->value, indexed->value)};
    if (before->value >= last.value) return out;
    // The answer stands on the log's order: an event of the range whose time does not read, goes
    // back or lies outside the window is damage, never a record at a time it was not shown.
    std::int64_t previous_ms = from_ms;
    const Status read = for_each_page(
        store_, Seq{before->value + 1}, last, [&](const std::vector<RecordedEvent>& page) {
            for (const auto& stored : page) {
                const auto at_ms = parse_rfc3339_ms(stored.at);
                if (!at_ms || *at_ms < previous_ms || *at_ms >= to_ms)
                    return Status::corruption(
                        "the log's event at seq " + std::to_string(stored.seq.value) + " (" +
                        stored.at + ") breaks the time order a window of disclosures is read by");
                previous_ms = *at_ms;
                auto disclosures = current_disclosures(stored, upcast_steps_);
                if (!disclosures.is_ok()) return disclosures.status();
                if (disclosures->empty()) continue;
                // In the applications' byte order (the order of the entries by time formats 1 to
                // 3 kept), a record for each disclosure naming the application: one, or for an
                // event an upcaster splits, each of the split's that names it, in its order.
                std::map<std::string_view, std::vector<const domain::PiiDisclosed*>> naming;
                for (const auto& disclosed : disclosures.value())
                    for (const auto& application : disclosed.applications) {
                        auto& named_by = naming[application];
                        // An application a disclosure names twice is answered once.
                        if (named_by.empty() || named_by.back() != &disclosed)
                            named_by.push_back(&disclosed);
                    }
                for (const auto& [application, named_by] : naming)
                    for (const auto* disclosed : named_by)
                        out.push_back(record_of(stored.seq.value, *at_ms, stored.at,
                                                std::string(application), *disclosed));
            }
            return Status::ok();
        });
    if (!read.is_ok()) return read;
    return out;
}

Result<std::optional<Registration>> DisclosureIndex::registration(
    const std::string& application) const {
    const auto& database = store_.database();
    if (!database->has_family(kDisclosuresFamily)) return std::optional<Registration>();
    auto value = database->get(kDisclosuresFamily, "o" + application);
    if (!value.is_ok()) return value.status();
    if (!value->has_value()) return std::optional<Registration>();
    const json in = json::parse(**value, nullptr, false);
    if (!in.is_object() || !in.contains("owner") || !in["owner"].is_string() ||
        !in.contains("at_ms") || !in["at_ms"].is_number_integer())
        return Status::corruption("the disclosure index row of " + application + " is damaged");
    return std::optional<Registration>(
        Registration{application, in["owner"].get<std::string>(), in["at_ms"].get<std::int64_t>()});
}

Result<std::vector<Registration>> DisclosureIndex::registered_in(std::int64_t from_ms,
                                                                 std::int64_t to_ms) const {
    std::vector<Registration> out;
    const auto& database = store_.database();
    if (!database->has_family(kDisclosuresFamily)) return out;
    const std::string end =
        "r" + big_endian(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ms)));
    // Keys: "r" + 8 bytes of big-endian registration time + the application.
    constexpr std::size_t kApplicationOffset = 1 + 8;
    KAKITOME_RETURN_IF_ERROR(database->scan(
        kDisclosuresFamily,
        "r" + big_endian(static_cast<std::uint64_t>(std::max<std::int64_t>(0, from_ms))),
        [&](std::string_view key, std::string_view value) {
            if (key >= end) return false;
            out.push_back({std::string(key.substr(kApplicationOffset)), std::string(value),
                           static_cast<std::int64_t>(from_big_endian(key.substr(1)))});
            return true;
        }));
    return out;
}

Result<std::vector<std::string>> DisclosureIndex::registered_before(std::int64_t before_ms) const {
    auto registered = registered_in(0, before_ms);
    if (!registered.is_ok()) return registered.status();
    std::vector<std::string> applications;
    applications.reserve(registered->size());
    for (const auto& registration : registered.value())
        applications.push_back(registration.application);
    return applications;
}

}  // namespace kakitome
