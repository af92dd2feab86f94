// DisclosureIndex alone, on a store with a controlled clock: who saw an application, what a
// principal saw and what was shown in a window come back in log order with every field of the
// PiiDisclosed event; a disclosure naming several applications is indexed under each; windows
// are [from, to); registrations (the form mail's arrival and owner) answer registration(),
// registered_in() and registered_before(); catch-up resumes from its position and indexes
// nothing twice; every entry is a key alone, its record read from the log, and an entry the log
// does not bear out is corruption; a record's JSON is, byte for byte, the object nlohmann::json
// writes (the form every answer has had).
#include "projections/disclosure_index.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "events/event.h"
#include "events/storage_keys.h"
#include "events/test_store.h"
#include "projections/disclosure_burst.h"
#include "projections/projection_runner.h"

namespace kakitome {
namespace {

constexpr std::int64_t kNoon = 1795694400000;  // 2026-11-26T12:00:00Z
constexpr std::int64_t kMinute = 60 * 1000;

class Disclosures : public ::testing::Test {
  protected:
    void SetUp() override {
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kDisclosuresFamily}})
                .value();
        store_ = EventStore::open(database_, {.clock_ms = [this] { return now_ms_; }}).value();
        index_ = std::make_unique<DisclosureIndex>(*store_);
    }
    void TearDown() override {
        index_.reset();
        store_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    void registered(const std::string& application, const std::string& sender_key) {
        ASSERT_TRUE(store_
                        ->append(domain::application_stream(application), ExpectedVersion::any(),
                                 {domain::new_event(domain::FormMailReceived{
                                     .message_id = "<m-" + application + ">",
                                     .sender_key = sender_key,
                                     .pii_sealed = "sealed"})})
                        .is_ok());
    }
    void disclosed(const std::string& principal, std::vector<std::string> applications,
                   const std::string& request_id) {
        ASSERT_TRUE(store_
                        ->append(domain::disclosure_stream(principal), ExpectedVersion::any(),
                                 {domain::new_event(domain::PiiDisclosed{
                                     .principal = principal,
                                     .role = "operator",
                                     .request_id = request_id,
                                     .endpoint = "GET /v1/applications/{id}",
                                     .target = "/v1/applications/" + applications.front(),
                                     .remote = "127.0.0.1",
                                     .applications = std::move(applications),
                                     .fields_shown = {"organization", "contact_email"}})})
                        .is_ok());
    }
    // Every stored row of the index, in key order; not where its ingested pages reach (the one
    // key beginning with a zero byte).
    std::vector<SortedTable::Row> stored_rows() {
        std::vector<SortedTable::Row> rows;
        EXPECT_TRUE(database_
                        ->scan(kDisclosuresFamily, "",
                               [&rows](std::string_view key, std::string_view value) {
                                   if (key.front() != '\0') rows.emplace_back(key, value);
                                   return true;
                               })
                        .is_ok());
        return rows;
    }
    // The rows the projection of the same index folds from the log, event by event.
    std::vector<SortedTable::Row> rebuilt_rows() {
        DisclosureProjection projection;
        auto changed = ChangedRows::ignored();
        EXPECT_TRUE(for_each_event(*store_, Seq{1}, [&](const RecordedEvent& event) {
                        EXPECT_TRUE(projection.apply(event, changed).is_ok());
                    }).is_ok());
        std::vector<SortedTable::Row> rows;
        for (const auto& key : projection.keys()) rows.emplace_back(key, *projection.row(key));
        return rows;
    }
    // Forgets the index's position (written through the log and ingested) and, with `rows`, its
    // rows too.
    void forget_the_index(bool rows) {
        DatabaseBatch batch;
        if (rows) batch.erase_range(kDisclosuresFamily, "", "\xff");
        batch.erase(kDisclosuresFamily, std::string(1, '\0') + "ingested-through");
        batch.erase(storage_keys::kMetaFamily, "projection:disclosures:position");
        batch.erase(storage_keys::kMetaFamily, "projection:disclosures:last-ingested");
        ASSERT_TRUE(database_->write(batch).is_ok());
    }
    // A key as the index lays out numbers in it.
    static std::string big_endian(std::uint64_t value) {
        std::string out;
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((value >> shift) & 0xff));
        return out;
    }
    // An entry written, or erased, behind the index's back.
    void put_entry(const std::string& key) {
        ASSERT_TRUE(
            database_->db()
                ->Put(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), key, "")
                .ok());
    }
    void erase_entry(const std::string& key) {
        ASSERT_TRUE(
            database_->db()
                ->Delete(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), key)
                .ok());
    }
    int files_at_level(int level) {
        std::string count;
        EXPECT_TRUE(database_->db()->GetProperty(
            database_->family(kDisclosuresFamily),
            "rocksdb.num-files-at-level" + std::to_string(level), &count));
        return std::stoi(count);
    }
    int bottom_level() {
        return database_->db()->NumberLevels(database_->family(kDisclosuresFamily)) - 1;
    }
    std::uint64_t rows_in_memtable() {
        std::uint64_t entries = 0;
        EXPECT_TRUE(database_->db()->GetIntProperty(database_->family(kDisclosuresFamily),
                                                    "rocksdb.num-entries-active-mem-table",
                                                    &entries));
        return entries;
    }
    // A checkpoint of the database as it is now: a copy whose MANIFEST stops here.
    std::filesystem::path checkpoint() {
        auto copy = testing::fresh_directory("disclosures-copy");
        std::filesystem::remove_all(copy);
        EXPECT_TRUE(database_->copy_to(copy).is_ok());
        return copy;
    }
    // The copy opened with the live log laid beside its MANIFEST, as a copy that took the
    // MANIFEST first and the log later holds them.
    static Result<std::shared_ptr<Database>> open_with_the_live_log(
        const std::filesystem::path& copy, const std::filesystem::path& live) {
        std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
        for (const auto& entry : std::filesystem::directory_iterator(live))
            if (entry.path().extension() == ".log")
                std::filesystem::copy_file(entry.path(), copy / entry.path().filename(),
                                           std::filesystem::copy_options::overwrite_existing);
        return Database::open({.directory = copy, .extra_column_families = {kDisclosuresFamily}});
    }
    static std::vector<std::string> request_ids(const std::vector<DisclosureRecord>& records) {
        std::vector<std::string> ids;
        for (const auto& record : records) ids.push_back(record.request_id);
        return ids;
    }
    static std::vector<std::string> applications(const std::vector<DisclosureRecord>& records) {
        std::vector<std::string> ids;
        for (const auto& record : records) ids.push_back(record.application);
        return ids;
    }

    std::filesystem::path directory_ = testing::fresh_directory("disclosures");
    std::int64_t now_ms_ = kNoon;
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::unique_ptr<DisclosureIndex> index_;
};

TEST_F(Disclosures, WhoSawAndSawWhatInLogOrderWithEveryField) {
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    now_ms_ += kMinute;
    disclosed("suzuki", {"a1", "a2"}, "r2");
    now_ms_ += kMinute;
    disclosed("sato", {"a2"}, "r3");
    ASSERT_TRUE(index_->catch_up().is_ok());

    auto a1 = index_->who_saw("a1");
    ASSERT_TRUE(a1.is_ok());
    EXPECT_EQ(request_ids(a1.value()), (std::vector<std::string>{"r1", "r2"}));
    const DisclosureRecord& first = a1->front();
    EXPECT_EQ(first.principal, "sato");
    EXPECT_EQ(first.role, "operator");
    EXPECT_EQ(first.endpoint, "GET /v1/applications/{id}");
    EXPECT_EQ(first.remote, "127.0.0.1");
    EXPECT_EQ(first.at_ms, kNoon);
    EXPECT_EQ(first.at, "2026-11-26T12:00:00.000Z");
    EXPECT_EQ(first.fields, (std::vector<std::string>{"organization", "contact_email"}));
    EXPECT_EQ(request_ids(index_->who_saw("a2").value()), (std::vector<std::string>{"r2", "r3"}));
    EXPECT_TRUE(index_->who_saw("a3")->empty());
    // A principal whose name is a prefix of another's sees only their own.
    disclosed("sat", {"a1"}, "r4");
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(request_ids(index_->saw_what("sato").value()),
              (std::vector<std::string>{"r1", "r3"}));
    EXPECT_EQ(request_ids(index_->saw_what("sat").value()), (std::vector<std::string>{"r4"}));
    EXPECT_EQ(applications(index_->saw_what("suzuki").value()),
              (std::vector<std::string>{"a1", "a2"}));
}

TEST(DisclosureRows, ARecordsJsonIsTheObjectNlohmannWritesByteForByte) {
    for (const DisclosureRecord& record :
         {DisclosureRecord{.seq = 18446744073709551615u,
         .at_ms = 1795694400000,
         .at = "2026-11-26T12:00:00.000Z",
         .application = "a-\u00e9\"\\/",
         .principal = "\u4f50\u85e4 \t\x01",
         .role = "operator",
         .request_id = "r\n1",
         .endpoint = "GET /v1/applications/{id}",
         .remote = "2001:db8::1",
         .fields = {"organization", "contact_email", "\u96fb\u8a71"}},
          DisclosureRecord{.seq = 1, .at_ms = -5, .fields = {}}}) {
        const nlohmann::json expected{{"seq", record.seq},
                                      {"at_ms", record.at_ms},
                                      {"at", record.at},
                                      {"application", record.application},
                                      {"principal", record.principal},
                                      {"role", record.role},
                                      {"request_id", record.request_id},
                                      {"endpoint", record.endpoint},
                                      {"remote", record.remote},
                                      {"fields", record.fields}};
        EXPECT_EQ(disclosure_to_json(record), expected.dump());
    }
}

// Every row keeps the spelling of format 4: the keys as laid out in disclosure_index.cc, the
// disclosures' entries keys alone (their records are read from the log), the registrations'
// values as nlohmann::json's dump wrote them (a stored index and a rebuild are compared byte for
// byte). A disclosure naming two applications has two entries for each, none by time.
TEST_F(Disclosures, EveryRowIsSpelledAsFormatFourLaysItOut) {
    registered("a\"1", "k\\1");
    now_ms_ += 1234;
    disclosed("\u4f50\u85e4", {"a\"1", "a2"}, "r\n1");
    ASSERT_TRUE(index_->catch_up().is_ok());

    const std::uint64_t registered_at = static_cast<std::uint64_t>(kNoon);
    const std::uint64_t disclosed_at = registered_at + 1234;
    const std::string principal = "\u4f50\u85e4";
    std::vector<SortedTable::Row> expected;
    for (const std::string application : {"a\"1", "a2"}) {
        expected.emplace_back("a" + application + '\0' + big_endian(2) + big_endian(disclosed_at),
                              "");
        expected.emplace_back(
            "p" + principal + '\0' + big_endian(2) + big_endian(disclosed_at) + application, "");
    }
    expected.emplace_back("o" + std::string("a\"1"),
                          nlohmann::json{{"owner", "applicant:k\\1"}, {"at_ms", kNoon}}.dump());
    expected.emplace_back("r" + big_endian(registered_at) + "a\"1", "applicant:k\\1");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(stored_rows(), expected);
    EXPECT_EQ(rebuilt_rows(), expected);
    // Each application's record, read from the log, is the disclosure's own.
    const auto records = index_->in_window(kNoon, kNoon + kMinute).value();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(disclosure_to_json(records[0]),
              nlohmann::json({{"seq", 2},
                              {"at_ms", disclosed_at},
                              {"at", "2026-11-26T12:00:01.234Z"},
                              {"application", "a\"1"},
                              {"principal", principal},
                              {"role", "operator"},
                              {"request_id", "r\n1"},
                              {"endpoint", "GET /v1/applications/{id}"},
                              {"remote", "127.0.0.1"},
                              {"fields", {"organization", "contact_email"}}})
                  .dump());
    EXPECT_EQ(records[1].application, "a2");
}

TEST_F(Disclosures, AWindowIncludesItsStartAndExcludesItsEnd) {
    disclosed("sato", {"a1"}, "before");
    now_ms_ += kMinute;
    disclosed("sato", {"a1"}, "at-start");
    now_ms_ += kMinute;
    disclosed("sato", {"a1"}, "at-end");
    ASSERT_TRUE(index_->catch_up().is_ok());
    auto window = index_->in_window(kNoon + kMinute, kNoon + 2 * kMinute);
    ASSERT_TRUE(window.is_ok());
    EXPECT_EQ(request_ids(window.value()), (std::vector<std::string>{"at-start"}));
    EXPECT_TRUE(index_->in_window(kNoon + 3 * kMinute, kNoon + 4 * kMinute)->empty());
}

// The log's timestamps never go back, so a window is one range of it, found by bisection: every
// disclosure in it in log order, with other events between them and several in one millisecond,
// an application named twice answered once, and nothing past where the index has reached, so an
// incident review's scope (the index's registrations) and its disclosures are of one moment.
TEST_F(Disclosures, AWindowIsOneRangeOfTheLogAsFarAsTheIndexHasReached) {
    std::vector<std::string> expected;
    for (int minute = 0; minute < 5; ++minute) {
        for (int i = 0; i < 3; ++i) {
            const std::string id = std::to_string(minute) + "-" + std::to_string(i);
            registered("a" + id, "k" + id);
            disclosed("sato", {"a" + id, "a" + id}, id);
            if (minute >= 1 && minute < 4) expected.push_back(id);
        }
        now_ms_ += kMinute;
    }
    ASSERT_TRUE(index_->catch_up().is_ok());
    disclosed("sato", {"a9"}, "late");
    EXPECT_EQ(request_ids(index_->in_window(kNoon + kMinute, kNoon + 4 * kMinute).value()),
              expected);
    EXPECT_TRUE(index_->in_window(kNoon + 5 * kMinute, kNoon + 6 * kMinute)->empty())
        << "past the index's position";
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(request_ids(index_->in_window(kNoon + 5 * kMinute, kNoon + 6 * kMinute).value()),
              (std::vector<std::string>{"late"}));
    EXPECT_TRUE(index_->in_window(kNoon + 6 * kMinute, kNoon + 5 * kMinute)->empty());
    EXPECT_EQ(index_->in_window(0, kNoon + kMinute)->size(), 3u);
}

// A window stands on the log's time order: an event of its range whose time goes back, or a time
// that does not read (which would send the bisection either way), is damage, never a record at a
// time it was not shown. Spelled right again, the window answers.
TEST_F(Disclosures, AWindowOverALogWhoseTimeGoesBackOrDoesNotReadIsDamage) {
    for (const char* id : {"r1", "r2", "r3"}) {
        disclosed("sato", {"a1"}, id);
        now_ms_ += kMinute;
    }
    ASSERT_TRUE(index_->catch_up().is_ok());
    const auto respell_time = [this](std::uint64_t seq, const std::string& at) {
        std::string value;
        ASSERT_TRUE(database_->db()
                        ->Get(rocksdb::ReadOptions(), database_->events(),
                              storage_keys::event_key(seq), &value)
                        .ok());
        auto event = decode_stored_event(value).value();
        event.at = at;
        ASSERT_TRUE(database_->db()
                        ->Put(rocksdb::WriteOptions(), database_->events(),
                              storage_keys::event_key(seq),
                              encode_stored_event(event, canonical_bytes(event)))
                        .ok());
    };
    const std::string second = store_->read_event(Seq{2})->at;
    // After the third event's time, still inside the window.
    respell_time(2, "2026-11-26T12:02:30.000Z");
    EXPECT_EQ(index_->in_window(kNoon, kNoon + 3 * kMinute).status().code(),
              StatusCode::corruption);
    respell_time(2, "noon");
    EXPECT_EQ(index_->in_window(kNoon, kNoon + 3 * kMinute).status().code(),
              StatusCode::corruption);
    respell_time(2, second);
    EXPECT_EQ(request_ids(index_->in_window(kNoon, kNoon + 3 * kMinute).value()),
              (std::vector<std::string>{"r1", "r2", "r3"}));
}

// The window reads as far as the index's position; a position that does not read is damage, not
// an empty window (a review would report nobody affected).
TEST_F(Disclosures, AWindowOfAnIndexWhosePositionDoesNotReadIsDamage) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    ASSERT_TRUE(database_->db()
                    ->Put(rocksdb::WriteOptions(), database_->meta(),
                          "projection:disclosures:position", "one")
                    .ok());
    EXPECT_EQ(index_->in_window(kNoon, kNoon + 1).status().code(), StatusCode::corruption);
}

// An upcaster may split one stored event into several disclosures. Each is answered, by
// application, by principal and in a window, from the disclosures that name the entry; two that
// name one application are both answered (its one entry by application stands for both).
TEST_F(Disclosures, EveryDisclosureOfAStoredEventAnUpcasterSplitsIsAnswered) {
    using domain::EventBody;
    using domain::PiiDisclosed;
    // A stored event of an older schema, standing for the disclosures listed in it.
    const std::vector<domain::UpcastStep> steps = {
        {domain::FormParsed::kType,
         1,
         {{PiiDisclosed::kType, 1}},
         [](const EventBody& body) -> Result<std::vector<EventBody>> {
             std::vector<EventBody> parts;
             for (const auto& part : body.payload["parts"])
                 parts.push_back({std::string(PiiDisclosed::kType), 1, part});
             return parts;
         }}};
    const auto part = [](const std::string& principal, std::vector<std::string> applications,
                         const std::string& request_id) {
        return domain::payload_to_json(PiiDisclosed{.principal = principal,
                                                    .role = "operator",
                                                    .request_id = request_id,
                                                    .endpoint = "GET /v1/queue",
                                                    .target = "/v1/queue",
                                                    .remote = "127.0.0.1",
                                                    .applications = std::move(applications),
                                                    .fields_shown = {"organization"}});
    };
    const nlohmann::json parts = {
        {"parts", {part("sato", {"a1", "a2"}, "r1"), part("suzuki", {"a2", "a3"}, "r2")}}};
    ASSERT_TRUE(store_
                    ->append(domain::disclosure_stream("sato"), ExpectedVersion::any(),
                             {NewEvent{.type = std::string(domain::FormParsed::kType),
                                       .payload_json = parts.dump(),
                                       .schema = 1}})
                    .is_ok());
    for (const std::size_t rows_worth_tables : {std::size_t{1}, kDisclosureTablesNever}) {
        forget_the_index(true);
        DisclosureIndex index(*store_, rows_worth_tables, &steps);
        ASSERT_TRUE(index.catch_up().is_ok());
        EXPECT_EQ(request_ids(index.who_saw("a1").value()), (std::vector<std::string>{"r1"}));
        EXPECT_EQ(request_ids(index.who_saw("a2").value()), (std::vector<std::string>{"r1", "r2"}));
        EXPECT_EQ(request_ids(index.who_saw("a3").value()), (std::vector<std::string>{"r2"}));
        const auto suzuki = index.saw_what("suzuki").value();
        EXPECT_EQ(applications(suzuki), (std::vector<std::string>{"a2", "a3"}));
        EXPECT_EQ(request_ids(suzuki), (std::vector<std::string>{"r2", "r2"}));
        EXPECT_EQ(request_ids(index.saw_what("sato").value()),
                  (std::vector<std::string>{"r1", "r1"}));
        const auto window = index.in_window(kNoon, kNoon + 1).value();
        EXPECT_EQ(applications(window), (std::vector<std::string>{"a1", "a2", "a2", "a3"}));
        EXPECT_EQ(request_ids(window), (std::vector<std::string>{"r1", "r1", "r2", "r2"}));
    }
}

TEST_F(Disclosures, RegistrationsByApplicationAndByTime) {
    registered("a1", "k1");
    now_ms_ += kMinute;
    registered("a2", "k2");
    now_ms_ += kMinute;
    registered("a3", "k1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    auto a2 = index_->registration("a2");
    ASSERT_TRUE(a2.is_ok());
    ASSERT_TRUE(a2->has_value());
    EXPECT_EQ((*a2)->owner, "applicant:k2");
    EXPECT_EQ((*a2)->registered_at_ms, kNoon + kMinute);
    EXPECT_FALSE(index_->registration("a9")->has_value());
    auto in = index_->registered_in(kNoon + kMinute, kNoon + 2 * kMinute);
    ASSERT_TRUE(in.is_ok());
    ASSERT_EQ(in->size(), 1u);
    EXPECT_EQ(in->front().application, "a2");
    EXPECT_EQ(in->front().owner, "applicant:k2");
    EXPECT_EQ(index_->registered_before(kNoon + 2 * kMinute).value(),
              (std::vector<std::string>{"a1", "a2"}));
    EXPECT_EQ(index_->registered_before(kNoon + 3 * kMinute).value(),
              (std::vector<std::string>{"a1", "a2", "a3"}));
}

TEST_F(Disclosures, CatchUpResumesFromItsPositionAndIndexesNothingTwice) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(index_->position().value, 1u);
    const auto written = database_->db()->GetLatestSequenceNumber();
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(database_->db()->GetLatestSequenceNumber(), written)
        << "nothing new, nothing written";
    disclosed("sato", {"a1"}, "r2");
    // A fresh index over the same store starts where the stored position says.
    DisclosureIndex reopened(*store_);
    EXPECT_EQ(reopened.position().value, 1u);
    ASSERT_TRUE(reopened.catch_up().is_ok());
    EXPECT_EQ(reopened.position().value, 2u);
    EXPECT_EQ(request_ids(reopened.who_saw("a1").value()), (std::vector<std::string>{"r1", "r2"}));
}

// Format 1 stored each record three times; an index of that format (no format recorded, its
// position at the head) is dropped and built again rather than read as the current format.
TEST_F(Disclosures, AnIndexOfTheFirstFormatIsBuiltAgainFromTheLog) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    // Format 1's key of a record by application: "a", the application, NUL, the seq.
    std::string old_key = "aa1";
    old_key += '\0';
    old_key.append(7, '\0');
    old_key += '\1';
    const std::string old_record = disclosure_to_json(index_->who_saw("a1")->front());
    auto* raw = database_->db();
    ASSERT_TRUE(
        raw->DeleteRange(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), "", "\xff")
            .ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), old_key,
                         old_record)
                    .ok());
    ASSERT_TRUE(
        raw->Delete(rocksdb::WriteOptions(), database_->meta(), "projection:disclosures:format")
            .ok());

    DisclosureIndex upgraded(*store_);
    ASSERT_TRUE(upgraded.catch_up().is_ok());
    EXPECT_EQ(upgraded.position().value, 1u);
    EXPECT_EQ(request_ids(upgraded.who_saw("a1").value()), (std::vector<std::string>{"r1"}));
    EXPECT_EQ(request_ids(upgraded.saw_what("sato").value()), (std::vector<std::string>{"r1"}));
    std::string stale;
    ASSERT_TRUE(
        raw->Get(rocksdb::ReadOptions(), database_->family(kDisclosuresFamily), old_key, &stale)
            .IsNotFound());
}

// Formats 2 and 3 kept an entry by time for each application a disclosure names (format 2 with
// the record in it); their other entries are format 4's. Such an index loses its entries by
// time in one write at the next catch-up, and nothing is indexed again.
TEST_F(Disclosures, AnIndexOfTheSecondOrThirdFormatLosesOnlyItsEntriesByTime) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    const std::string old_record = disclosure_to_json(index_->who_saw("a1")->front());
    const std::string by_time =
        "t" + big_endian(static_cast<std::uint64_t>(kNoon)) + big_endian(1) + "a1";
    auto* raw = database_->db();
    for (const auto& [format, entry] : {std::pair<std::string, std::string>{"2", old_record},
                                        std::pair<std::string, std::string>{"3", ""}}) {
        ASSERT_TRUE(
            raw->Put(rocksdb::WriteOptions(), database_->family(kDisclosuresFamily), by_time, entry)
                .ok());
        ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), database_->meta(),
                             "projection:disclosures:format", format)
                        .ok());
        const auto written = raw->GetLatestSequenceNumber();
        DisclosureIndex upgraded(*store_);
        ASSERT_TRUE(upgraded.catch_up().is_ok());
        EXPECT_EQ(raw->GetLatestSequenceNumber(), written + 2)
            << "format " << format << ": one range deleted and the format recorded, no more";
        EXPECT_EQ(upgraded.position().value, 1u);
        EXPECT_EQ(stored_rows(), rebuilt_rows()) << "format " << format << ": the entry by time "
                                                 << "is gone";
        EXPECT_EQ(request_ids(upgraded.in_window(kNoon, kNoon + 1).value()),
                  (std::vector<std::string>{"r1"}));
    }
}

// Who saw an application must never shrink silently, nor name what the log does not hold: an
// entry whose seq holds no event, another event, a disclosure of other applications or one at
// another time is damage, by application and by principal alike; an entry by principal naming
// someone else's disclosure too.
TEST_F(Disclosures, AnEntryTheLogDoesNotBearOutIsCorruptionNotAnAnswer) {
    registered("a1", "k1");           // seq 1: a form mail
    disclosed("sato", {"a1"}, "r1");  // seq 2
    disclosed("sato", {"a2"}, "r2");  // seq 3
    ASSERT_TRUE(index_->catch_up().is_ok());
    const std::uint64_t noon = static_cast<std::uint64_t>(kNoon);
    const auto forged = [&](std::uint64_t seq, std::uint64_t at, const std::string& application) {
        return std::vector<std::string>{
            "a" + application + '\0' + big_endian(seq) + big_endian(at),
            "psato" + std::string(1, '\0') + big_endian(seq) + big_endian(at) + application};
    };
    struct Case {
        const char* what;
        std::vector<std::string> entries;
    };
    for (const Case& damage : {Case{"no event at its seq", forged(9, noon, "a1")},
                               Case{"another event at its seq", forged(1, noon, "a1")},
                               Case{"a disclosure of another application", forged(3, noon, "a1")},
                               Case{"the disclosure at another time", forged(2, noon + 1, "a1")}}) {
        for (const auto& entry : damage.entries) {
            put_entry(entry);
            const auto answered = entry.front() == 'a' ? index_->who_saw("a1").status()
                                                       : index_->saw_what("sato").status();
            EXPECT_EQ(answered.code(), StatusCode::corruption) << damage.what << ", " << entry[0];
            erase_entry(entry);
        }
    }
    const std::string someone_else =
        "ptanaka" + std::string(1, '\0') + big_endian(2) + big_endian(noon) + "a1";
    put_entry(someone_else);
    EXPECT_EQ(index_->saw_what("tanaka").status().code(), StatusCode::corruption)
        << "sato's disclosure answered as tanaka's";
    erase_entry(someone_else);
    // An entry by application with bytes after its time names no disclosure.
    const std::string longer =
        "aa1" + std::string(1, '\0') + big_endian(2) + big_endian(noon) + "x";
    put_entry(longer);
    EXPECT_EQ(index_->who_saw("a1").status().code(), StatusCode::corruption);
    erase_entry(longer);
    EXPECT_EQ(request_ids(index_->who_saw("a1").value()), (std::vector<std::string>{"r1"}));
    EXPECT_EQ(request_ids(index_->saw_what("sato").value()),
              (std::vector<std::string>{"r1", "r2"}));
}

// A reader beside the writer (a RocksDB secondary) may see the index ahead of the log: an entry
// past the log it sees is "try again", not damage.
TEST_F(Disclosures, AReaderBesideTheWriterAsksAgainForAnEntryPastTheLogItSees) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    put_entry("aa1" + std::string(1, '\0') + big_endian(9) +
              big_endian(static_cast<std::uint64_t>(kNoon)));
    auto reader = Database::open({.directory = directory_,
                                  .read_only = true,
                                  .extra_column_families = {kDisclosuresFamily}})
                      .value();
    auto reader_store = EventStore::open(reader).value();
    const auto answer = DisclosureIndex(*reader_store).who_saw("a1");
    EXPECT_EQ(answer.status().code(), StatusCode::unavailable) << answer.status().message();
    EXPECT_EQ(index_->who_saw("a1").status().code(), StatusCode::corruption)
        << "to the writer, whose log is whole, it is damage";
    // The same for a window reaching the end of the log the reader sees, the index being ahead.
    erase_entry("aa1" + std::string(1, '\0') + big_endian(9) +
                big_endian(static_cast<std::uint64_t>(kNoon)));
    ASSERT_TRUE(database_->db()
                    ->Put(rocksdb::WriteOptions(), database_->meta(),
                          "projection:disclosures:position", "9")
                    .ok());
    auto later_reader = Database::open({.directory = directory_,
                                        .read_only = true,
                                        .extra_column_families = {kDisclosuresFamily}})
                            .value();
    auto later_store = EventStore::open(later_reader).value();
    const auto window = DisclosureIndex(*later_store).in_window(kNoon, kNoon + kMinute);
    EXPECT_EQ(window.status().code(), StatusCode::unavailable) << window.status().message();
    EXPECT_EQ(index_->in_window(kNoon, kNoon + kMinute).status().code(), StatusCode::corruption);
}

// The entries of formats 2 and 3 are format 4's, so a reader that cannot rebuild the index (a
// secondary) still answers from them; format 1's are refused, with what to do, instead of
// misread.
TEST_F(Disclosures, AQueryReadsFormatsTwoAndThreeAndRefusesFormatOne) {
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(index_->catch_up().is_ok());
    const auto stored_format = [this](const char* format) {
        ASSERT_TRUE(database_->db()
                        ->Put(rocksdb::WriteOptions(), database_->meta(),
                              "projection:disclosures:format", format)
                        .ok());
    };
    for (const char* readable : {"2", "3"}) {
        stored_format(readable);
        EXPECT_EQ(request_ids(index_->who_saw("a1").value()), (std::vector<std::string>{"r1"}));
        EXPECT_EQ(request_ids(index_->in_window(kNoon, kNoon + 1).value()),
                  (std::vector<std::string>{"r1"}));
    }
    stored_format("1");
    for (const auto& answer :
         {index_->who_saw("a1"), index_->saw_what("sato"), index_->in_window(kNoon, kNoon + 1)})
        EXPECT_EQ(answer.status().code(), StatusCode::failed_precondition);
    ASSERT_TRUE(
        database_->db()
            ->Delete(rocksdb::WriteOptions(), database_->meta(), "projection:disclosures:format")
            .ok());
    EXPECT_EQ(index_->who_saw("a1").status().code(), StatusCode::failed_precondition)
        << "an index without a recorded format is of format 1";
}

// Two form mails of one application within one millisecond: the registration is the last one,
// as the projection rebuilt event by event says. Sorting a page's rows by key and value kept
// the greater owner instead ("applicant:zz" here).
TEST_F(Disclosures, AKeyWrittenTwiceInAPageKeepsItsLastRow) {
    registered("a1", "zz");
    registered("a1", "aa");
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(index_->registration("a1").value()->owner, "applicant:aa");
    EXPECT_EQ(index_->registered_in(kNoon, kNoon + 1).value().front().owner, "applicant:aa");
    EXPECT_EQ(stored_rows(), rebuilt_rows());
    // Many rows of one key in one page: an unstable sort (std::sort past 16 rows) would keep
    // whichever it happened to leave last.
    for (int i = 300; i > 0; --i) registered("a2", "k" + std::to_string(i));
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(index_->registration("a2").value()->owner, "applicant:k1");
    EXPECT_EQ(stored_rows(), rebuilt_rows());
    // The same among keys out of order, so the page is sorted and not only checked.
    for (int i = 300; i > 0; --i) {
        registered("b2", "k" + std::to_string(i));
        registered("b1", "j" + std::to_string(i));
    }
    ASSERT_TRUE(index_->catch_up().is_ok());
    EXPECT_EQ(index_->registration("b1").value()->owner, "applicant:j1");
    EXPECT_EQ(index_->registration("b2").value()->owner, "applicant:k1");
    EXPECT_EQ(stored_rows(), rebuilt_rows());
}

// A long catch-up writes its pages as table files (events/sorted_table.h); the rows are those a
// batch writes and those the projection rebuilds, and no staged file is left.
TEST_F(Disclosures, ACatchUpThroughTablesStoresTheRowsABatchStores) {
    registered("a1", "k1");
    registered("a2", "k2");
    registered("a3", "zz");
    registered("a3", "aa");
    for (int i = 0; i < 20; ++i) {
        now_ms_ += kMinute;
        disclosed(i % 2 ? "sato" : "suzuki", {"a" + std::to_string(1 + i % 3), "a4"},
                  "r" + std::to_string(i));
    }
    forget_the_index(true);
    DisclosureIndex through_tables(*store_, 1);
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(through_tables.position().value, 24u);
    EXPECT_EQ(rows_in_memtable(), 0u) << "the rows came as tables";
    const auto from_tables = stored_rows();
    EXPECT_EQ(from_tables.size(), 3u * 2 + 40u * 2);
    EXPECT_EQ(from_tables, rebuilt_rows());
    EXPECT_TRUE(std::filesystem::is_empty(staged_tables_directory(directory_)));
    EXPECT_EQ(through_tables.registration("a3").value()->owner, "applicant:aa");

    forget_the_index(true);
    DisclosureIndex through_a_batch(*store_, std::numeric_limits<std::size_t>::max());
    ASSERT_TRUE(through_a_batch.catch_up().is_ok());
    EXPECT_GT(rows_in_memtable(), 0u) << "the rows came as a batch";
    EXPECT_EQ(stored_rows(), from_tables);
}

// A page's registrations by time lie after every stored one, so their table goes straight to the
// bottom level; only the table of interleaving keys lies above what is stored.
TEST_F(Disclosures, ALaterPagesRegistrationsGoStraightToTheBottomLevel) {
    const int bottom = bottom_level();
    DisclosureIndex through_tables(*store_, 1);
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    ASSERT_EQ(files_at_level(bottom), 2) << "into an empty family, both tables";
    now_ms_ += kMinute;
    registered("a2", "k2");
    disclosed("sato", {"a2"}, "r2");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(files_at_level(bottom), 3);
    EXPECT_EQ(files_at_level(bottom - 1), 1) << "the 'a', 'o' and 'p' keys";
    EXPECT_EQ(request_ids(through_tables.saw_what("sato").value()),
              (std::vector<std::string>{"r1", "r2"}));
}

// The range deletion that upgrades formats 2 and 3 lies where no later page's table reaches ('r'
// sorts before 't'): after the upgrade, a page's registrations still go straight to the bottom.
TEST_F(Disclosures, AfterAnUpgradeLaterRegistrationsStillGoStraightToTheBottomLevel) {
    DisclosureIndex through_tables(*store_, 1);
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    ASSERT_EQ(files_at_level(bottom_level()), 2);
    put_entry("t" + big_endian(static_cast<std::uint64_t>(kNoon)) + big_endian(2) + "a1");
    ASSERT_TRUE(
        database_->db()
            ->Put(rocksdb::WriteOptions(), database_->meta(), "projection:disclosures:format", "3")
            .ok());
    now_ms_ += kMinute;
    registered("a2", "k2");
    disclosed("sato", {"a2"}, "r2");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(files_at_level(bottom_level()), 3) << "the page's registrations";
    EXPECT_EQ(stored_rows(), rebuilt_rows());
}

// A page indexed again (its position lost, its rows kept) gives the same rows, and who saw what
// counts each disclosure once.
TEST_F(Disclosures, APageIndexedAgainAfterACrashBeforeItsPositionGivesTheSameRows) {
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    disclosed("suzuki", {"a1"}, "r2");
    DisclosureIndex through_tables(*store_, 1);
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    const auto first = stored_rows();
    forget_the_index(false);
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(through_tables.position().value, 3u);
    EXPECT_EQ(stored_rows(), first);
    EXPECT_EQ(request_ids(through_tables.who_saw("a1").value()),
              (std::vector<std::string>{"r1", "r2"}));
}

// A checkpoint copies the MANIFEST first and the log after it. A page's position written through
// the log after its tables were ingested could then be in the copy without the page's rows: the
// copy's index would say "indexed through seq 4" and never show who saw a2. The position
// travels in the page's ingestion instead.
TEST_F(Disclosures, ACopyWithALaterLogNeverHoldsAPositionWithoutItsRows) {
    DisclosureIndex through_tables(*store_, 1);
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    const auto copy = checkpoint();
    now_ms_ += kMinute;
    registered("a2", "k2");
    disclosed("sato", {"a2"}, "r2");
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    ASSERT_EQ(through_tables.position().value, 4u);
    {
        // The log as it is now, beside the MANIFEST as it was.
        auto opened = open_with_the_live_log(copy, directory_);
        ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
        auto copied = std::move(opened).value();
        auto copied_store = EventStore::open(copied).value();
        EXPECT_EQ(copied_store->head().value, 4u) << "the later log was replayed";
        const std::uint64_t position = DisclosureIndex(*copied_store).position().value;
        std::size_t entries = 0;
        ASSERT_TRUE(copied
                        ->scan(kDisclosuresFamily, "a",
                               [&entries](std::string_view key, std::string_view) {
                                   entries += key.front() == 'a';
                                   return true;
                               })
                        .is_ok());
        // Events 2 and 4 are the disclosures: a position of 2 needs one entry, of 4 two.
        EXPECT_EQ(entries, position / 2) << "indexed through seq " << position;
    }
    std::filesystem::remove_all(copy);
}

// A page written through the log after an ingested one names that ingestion. A copy whose
// MANIFEST lacks it (taken before it) but whose log holds the later page then counts only the
// pages it holds whole: the later page's position would claim the ingested page's rows too.
TEST_F(Disclosures, ACopyWhoseLogNamesAnIngestionItsManifestLacksHoldsNoPositionPastIt) {
    DisclosureIndex tables_from_three_rows(*store_, 3);
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    ASSERT_TRUE(tables_from_three_rows.catch_up().is_ok());  // 4 rows: tables
    const auto copy = checkpoint();
    now_ms_ += kMinute;
    registered("a2", "k2");
    disclosed("sato", {"a2"}, "r2");
    ASSERT_TRUE(tables_from_three_rows.catch_up().is_ok());  // 4 rows: tables
    registered("a3", "k3");
    ASSERT_TRUE(tables_from_three_rows.catch_up().is_ok());  // 2 rows: through the log
    ASSERT_EQ(tables_from_three_rows.position().value, 5u);
    {
        auto opened = open_with_the_live_log(copy, directory_);
        ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
        auto copied = std::move(opened).value();
        auto copied_store = EventStore::open(copied).value();
        ASSERT_EQ(copied_store->head().value, 5u) << "the later log was replayed";
        DisclosureIndex index(*copied_store, 3);
        const std::uint64_t position = index.position().value;
        // The disclosures are events 2 and 4: the index must hold each one up to its position.
        EXPECT_EQ(index.who_saw("a1").value().size(), position >= 2 ? 1u : 0u) << position;
        EXPECT_EQ(index.who_saw("a2").value().size(), position >= 4 ? 1u : 0u) << position;
        EXPECT_EQ(position, 2u) << "the last page the copy holds whole";
        // Caught up from there, the copy's index is whole again.
        ASSERT_TRUE(index.catch_up().is_ok());
        EXPECT_EQ(index.position().value, 5u);
        EXPECT_EQ(index.who_saw("a2").value().size(), 1u);
        EXPECT_TRUE(index.registration("a3").value().has_value());
    }
    std::filesystem::remove_all(copy);
}

// `kakitome replay --projection disclosures` loads the stored index through a ProjectionRunner
// and rebuilds up to its position: an index whose every page was ingested has no position in
// `meta`, and its rows and position must still be found (and the position is not a row).
TEST_F(Disclosures, AnIndexWrittenOnlyAsTablesLoadsForAReplayToCompare) {
    registered("a1", "k1");
    disclosed("sato", {"a1"}, "r1");
    disclosed("suzuki", {"a1"}, "r2");
    ASSERT_TRUE(DisclosureIndex(*store_, 1).catch_up().is_ok());
    DisclosureProjection stored;
    ProjectionRunner runner(*store_, stored);
    ASSERT_TRUE(runner.load().is_ok());
    EXPECT_EQ(runner.stored_format(), stored.row_format());
    EXPECT_EQ(disclosure_index_position(*database_).value, 3u);
    DisclosureProjection rebuilt;
    ASSERT_TRUE(
        rebuild_projection(*store_, rebuilt, disclosure_index_position(*database_)).is_ok());
    EXPECT_EQ(projection_rows(stored).size(), 2u + 2u * 2u);
    EXPECT_EQ(projection_rows(stored), projection_rows(rebuilt));
}

// serve's index (the default) writes a page of thousands of rows as tables, not through the log.
TEST_F(Disclosures, ByDefaultAPageOfThousandsOfRowsIsWrittenAsTables) {
    registered("a1", "k1");
    const auto burst = testing::disclosure_burst("a1", 2100);
    ASSERT_TRUE(
        store_->append(domain::disclosure_stream("sato"), ExpectedVersion::any(), burst).is_ok());
    forget_the_index(true);
    DisclosureIndex by_default(*store_);
    ASSERT_TRUE(by_default.catch_up().is_ok());
    EXPECT_EQ(rows_in_memtable(), 0u) << "the rows came as tables";
    EXPECT_EQ(by_default.position().value, 2101u);
    EXPECT_EQ(by_default.who_saw("a1").value().size(), 2100u);
}

// A disclosure naming its applications out of order: a window answers them in byte order, and the
// page's tables hold the rows the projection rebuilds, sorted.
TEST_F(Disclosures, ADisclosureNamingItsApplicationsOutOfOrderIsIndexedInKeyOrder) {
    registered("a1", "k1");
    disclosed("sato", {"a4", "a1", "a3"}, "r1");
    now_ms_ += kMinute;
    disclosed("suzuki", {"a2"}, "r2");
    DisclosureIndex through_tables(*store_, 1);
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(rows_in_memtable(), 0u) << "the rows came as tables";
    EXPECT_EQ(applications(through_tables.in_window(0, kNoon + 2 * kMinute).value()),
              (std::vector<std::string>{"a1", "a3", "a4", "a2"}));
    EXPECT_EQ(stored_rows(), rebuilt_rows());
}

// A copy that lost the only ingested page (its MANIFEST predates it) while its log names it is
// indexed again from the start; the catch-up through batches that follows must clear that name,
// or the copy's position would stay at zero however much it indexed.
TEST_F(Disclosures, ACopyThatLostItsOnlyIngestedPageCatchesUpThroughBatches) {
    registered("a1", "k1");
    ASSERT_TRUE(DisclosureIndex(*store_, kDisclosureTablesNever).catch_up().is_ok());
    const auto copy = checkpoint();
    now_ms_ += kMinute;
    disclosed("sato", {"a1", "a3"}, "r1");
    ASSERT_TRUE(DisclosureIndex(*store_, 3).catch_up().is_ok());  // 4 rows: tables
    registered("a2", "k2");
    ASSERT_TRUE(DisclosureIndex(*store_, 3).catch_up().is_ok());  // 2 rows: through the log
    {
        auto copied = open_with_the_live_log(copy, directory_).value();
        auto copied_store = EventStore::open(copied).value();
        ASSERT_EQ(copied_store->head().value, 3u);
        DisclosureIndex through_batches(*copied_store, kDisclosureTablesNever);
        EXPECT_EQ(through_batches.position().value, 0u) << "the ingested page is missing";
        ASSERT_TRUE(through_batches.catch_up().is_ok());
        EXPECT_EQ(through_batches.position().value, 3u);
        EXPECT_EQ(request_ids(through_batches.who_saw("a1").value()),
                  (std::vector<std::string>{"r1"}));
    }
    std::filesystem::remove_all(copy);
}

// serve folds a long log in slices of 50,000 events; the index's bulk load spans them (its level
// 0 compacted every 64 tables throughout) and ends in the slice that reaches the head.
TEST_F(Disclosures, ACatchUpInSlicesFarFromTheHeadIsOneBulkLoad) {
    const auto compaction_trigger = [this] {
        return database_->db()
            ->GetOptions(database_->family(kDisclosuresFamily))
            .level0_file_num_compaction_trigger;
    };
    const int usual = compaction_trigger();
    registered("a1", "k1");
    const auto burst = testing::disclosure_burst("a1", 1000);
    for (int i = 0; i < 46; ++i)
        ASSERT_TRUE(store_->append(domain::disclosure_stream("sato"), ExpectedVersion::any(), burst)
                        .is_ok());
    DisclosureIndex through_tables(*store_, 1);
    ASSERT_TRUE(through_tables.catch_up(Seq{5000}).is_ok());
    EXPECT_EQ(compaction_trigger(), 64) << "41,001 events still to go: the load goes on";
    ASSERT_TRUE(through_tables.catch_up().is_ok());
    EXPECT_EQ(compaction_trigger(), usual) << "at the head: the load ended";
    EXPECT_EQ(through_tables.who_saw("a1").value().size(), 46000u);
}

TEST_F(Disclosures, AnIndexOnADatabaseWithoutItsFamilyRefusesToCatchUp) {
    auto bare_directory = testing::fresh_directory("bare");
    auto bare = Database::open({.directory = bare_directory}).value();
    auto store = EventStore::open(bare).value();
    EXPECT_EQ(DisclosureIndex(*store).catch_up().code(), StatusCode::internal);
    store.reset();
    bare.reset();
    std::filesystem::remove_all(bare_directory);
}

}  // namespace
}  // namespace kakitome
