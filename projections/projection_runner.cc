#include "projections/projection_runner.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "engine/domain/upcasting.h"
#include "events/rocksdb_status.h"
#include "events/sha256.h"

namespace kakitome {

namespace {

constexpr std::size_t kPage = 10000;

std::string position_key(const std::string& name) {
    return "projection:" + name + ":position";
}

std::string format_key(const std::string& name) {
    return "projection:" + name + ":format";
}

// Rows stored before formats were recorded are format 1.
constexpr int kFirstRowFormat = 1;

std::string encode_seq(Seq seq) {
    return std::to_string(seq.value);
}

Status fold(const EventStore& store, Projection& projection, Seq from, Seq until,
            std::set<std::string>& changed, const std::function<Status(Seq)>& after_page,
            const std::function<void(Seq, Seq)>& progress, bool verify_chain = false) {
    const Seq head = until.value ? until : store.head();
    Sha256Digest previous{};  // a rebuild starts at seq 1, whose prev_hash is all zeros
    for (Seq next = from; next.value <= head.value;) {
        const std::size_t count = std::min<std::uint64_t>(kPage, head.value - next.value + 1);
        auto page = store.read_all(next, count);
        if (!page.is_ok()) return page.status();
        if (page->empty()) break;
        for (const auto& event : page.value()) {
            // A replay checks the chain as it goes: what it folds is what was written.
            if (verify_chain &&
                (event.prev_hash != previous || sha256(canonical_bytes(event)) != event.hash)) {
                return Status::corruption("the hash chain breaks at seq " +
                                          std::to_string(event.seq.value))
                    .with_reason("chain_broken");
            }
            previous = event.hash;
            Status applied;
            KAKITOME_RETURN_IF_ERROR(
                domain::for_each_current_event(event, [&](const RecordedEvent& current) {
                    if (applied.is_ok()) applied = projection.apply(current, changed);
                }));
            if (!applied.is_ok()) {
                return Status(applied.code(), "projection " + projection.name() + " at seq " +
                                                  std::to_string(event.seq.value) + ": " +
                                                  applied.message())
                    .with_reason(applied.reason());
            }
        }
        next = Seq{page->back().seq.value + 1};
        if (after_page) KAKITOME_RETURN_IF_ERROR(after_page(page->back().seq));
        if (progress) progress(page->back().seq, head);
    }
    return Status::ok();
}

}  // namespace

std::string projection_family(const std::string& name) {
    return "projection_" + name;
}

const std::vector<std::string>& projection_families() {
    static const std::vector<std::string> families = {
        projection_family("queue"), projection_family("directory"), projection_family("downloads"),
        projection_family("disclosures")};
    return families;
}

ProjectionRunner::ProjectionRunner(const EventStore& store, Projection& projection)
    : store_(store), projection_(projection) {}

Status ProjectionRunner::load() {
    const auto& database = store_.database();
    auto* family = database->family(projection_family(projection_.name()));
    if (!family) return Status::ok();  // never written (read-only open of an older store)
    std::string position;
    auto got = database->db()->Get(rocksdb::ReadOptions(), database->meta(),
                                   position_key(projection_.name()), &position);
    if (got.IsNotFound()) return Status::ok();
    if (!got.ok()) return from_rocksdb(got, "reading projection position");
    std::string format;
    auto format_got = database->db()->Get(rocksdb::ReadOptions(), database->meta(),
                                          format_key(projection_.name()), &format);
    if (!format_got.ok() && !format_got.IsNotFound())
        return from_rocksdb(format_got, "reading projection format");
    stored_format_ = format_got.IsNotFound() ? kFirstRowFormat : std::atoi(format.c_str());
    // Rows of another format are not read: the log is folded again from seq 1, and the first
    // page persisted replaces them.
    if (stored_format_ != projection_.row_format()) return Status::ok();
    std::unique_ptr<rocksdb::Iterator> rows(
        database->db()->NewIterator(rocksdb::ReadOptions(), family));
    for (rows->SeekToFirst(); rows->Valid(); rows->Next()) {
        if (!projection_.load_row(rows->key().ToString(), rows->value().ToString())) {
            return Status::corruption("projection " + projection_.name() + ": stored row " +
                                      rows->key().ToString() + " does not parse");
        }
    }
    if (!rows->status().ok()) return from_rocksdb(rows->status(), "reading projection rows");
    position_ = Seq{std::stoull(position)};
    return Status::ok();
}

Status ProjectionRunner::persist(const std::set<std::string>& changed, Seq position) {
    const auto& database = store_.database();
    if (database->read_only()) return Status::ok();
    auto* family = database->family(projection_family(projection_.name()));
    if (!family)
        return Status::internal("column family for projection " + projection_.name() +
                                " is not open");
    rocksdb::WriteBatch batch;
    if (stored_format_ != 0 && stored_format_ != projection_.row_format()) {
        std::unique_ptr<rocksdb::Iterator> rows(
            database->db()->NewIterator(rocksdb::ReadOptions(), family));
        for (rows->SeekToFirst(); rows->Valid(); rows->Next()) batch.Delete(family, rows->key());
        if (!rows->status().ok()) return from_rocksdb(rows->status(), "reading projection rows");
    }
    for (const auto& key : changed) {
        if (auto row = projection_.row(key)) {
            batch.Put(family, key, *row);
        } else {
            batch.Delete(family, key);
        }
    }
    batch.Put(database->meta(), position_key(projection_.name()), encode_seq(position));
    batch.Put(database->meta(), format_key(projection_.name()),
              std::to_string(projection_.row_format()));
    rocksdb::WriteOptions options;
    KAKITOME_RETURN_IF_ERROR(from_rocksdb(database->db()->Write(options, &batch),
                                          "writing projection " + projection_.name()));
    stored_format_ = projection_.row_format();
    return Status::ok();
}

Status ProjectionRunner::catch_up(Seq until, const std::function<void(Seq, Seq)>& progress) {
    std::set<std::string> changed;
    return fold(
        store_, projection_, Seq{position_.value + 1}, until, changed,
        [&](Seq last) {
            KAKITOME_RETURN_IF_ERROR(persist(changed, last));
            changed.clear();
            position_ = last;
            return Status::ok();
        },
        progress);
}

Status rebuild_projection(const EventStore& store, Projection& fresh, Seq until,
                          const std::function<void(Seq, Seq)>& progress) {
    std::set<std::string> changed;
    if (until.value == 0) return Status::ok();
    return fold(store, fresh, Seq{1}, until, changed, {}, progress, /*verify_chain=*/true);
}

std::map<std::string, std::string> projection_rows(const Projection& projection) {
    std::map<std::string, std::string> rows;
    for (const auto& key : projection.keys()) {
        if (auto row = projection.row(key)) rows.emplace(key, *row);
    }
    return rows;
}

}  // namespace kakitome
