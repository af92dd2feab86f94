#include "projections/projection_runner.h"

#include "engine/domain/upcasting.h"
#include "events/storage_keys.h"
#include "events/verified_pages.h"

namespace kakitome {

namespace {

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
            ChangedRows& changed, const std::function<Status(Seq)>& after_page,
            const std::function<void(Seq, Seq)>& progress, bool verify_chain = false) {
    const Seq head = until.value ? until : store.head();
    const auto fold_page = [&](const std::vector<RecordedEvent>& page) {
        for (const auto& event : page) {
            Status applied;
            const Status upgraded =
                domain::for_each_current_event(event, [&](const RecordedEvent& current) {
                    if (applied.is_ok()) applied = projection.apply(current, changed);
                });
            if (!upgraded.is_ok()) return upgraded;
            if (!applied.is_ok()) {
                return Status(applied.code(), "projection " + projection.name() + " at seq " +
                                                  std::to_string(event.seq.value) + ": " +
                                                  applied.message())
                    .with_reason(applied.reason());
            }
        }
        if (after_page) KAKITOME_RETURN_IF_ERROR(after_page(page.back().seq));
        if (progress) progress(page.back().seq, head);
        return Status::ok();
    };
    // A replay checks the chain as it goes: what it folds is what was written. It starts at
    // seq 1, whose prev_hash is all zeros.
    if (verify_chain) return for_each_verified_page(store, from, head, Sha256Digest{}, fold_page);
    return for_each_page(store, from, head, fold_page);
}

}  // namespace

std::string projection_family(const std::string& name) {
    return "projection_" + name;
}

const std::vector<std::string>& projection_families() {
    static const std::vector<std::string> families = {
        projection_family("queue"),     projection_family("directory"),
        projection_family("downloads"), projection_family("disclosures"),
        projection_family("inbox"),     projection_family("incidents")};
    return families;
}

ProjectionRunner::ProjectionRunner(const EventStore& store, Projection& projection)
    : store_(store), projection_(projection) {}

Status ProjectionRunner::load() {
    const auto& database = store_.database();
    const std::string family = projection_family(projection_.name());
    if (!database->has_family(family)) return Status::ok();  // an older store, read-only
    auto position = database->get(storage_keys::kMetaFamily, position_key(projection_.name()));
    if (!position.is_ok()) return position.status();
    auto format = database->get(storage_keys::kMetaFamily, format_key(projection_.name()));
    if (!format.is_ok()) return format.status();
    // The disclosure index records its format before its first page, and a page it ingests as
    // tables leaves no position here (disclosure_index_position).
    if (!position->has_value() && !format->has_value()) return Status::ok();
    stored_format_ = format->has_value() ? std::atoi((*format)->c_str()) : kFirstRowFormat;
    // Rows of another format are not read: the log is folded again from seq 1, and the first
    // page persisted replaces them.
    if (stored_format_ != projection_.row_format()) return Status::ok();
    std::string bad_row;
    KAKITOME_RETURN_IF_ERROR(
        database->scan(family, "", [&](std::string_view key, std::string_view value) {
            if (projection_.load_row(std::string(key), std::string(value))) return true;
            bad_row = key;
            return false;
        }));
    if (!bad_row.empty()) {
        return Status::corruption("projection " + projection_.name() + ": stored row " + bad_row +
                                  " does not parse");
    }
    if (position->has_value()) position_ = Seq{std::stoull(**position)};
    return Status::ok();
}

Status ProjectionRunner::persist(const ChangedRows& changed, Seq position) {
    const auto& database = store_.database();
    if (database->read_only()) return Status::ok();
    const std::string family = projection_family(projection_.name());
    DatabaseBatch batch;
    if (stored_format_ != 0 && stored_format_ != projection_.row_format()) {
        KAKITOME_RETURN_IF_ERROR(
            database->scan(family, "", [&](std::string_view key, std::string_view) {
                batch.erase(family, key);
                return true;
            }));
    }
    for (const auto& key : changed.keys()) {
        if (auto row = projection_.row(key)) {
            batch.put(family, key, *row);
        } else {
            batch.erase(family, key);
        }
    }
    batch.put(storage_keys::kMetaFamily, position_key(projection_.name()), encode_seq(position));
    batch.put(storage_keys::kMetaFamily, format_key(projection_.name()),
              std::to_string(projection_.row_format()));
    KAKITOME_RETURN_IF_ERROR(database->write(batch));
    stored_format_ = projection_.row_format();
    return Status::ok();
}

Status ProjectionRunner::catch_up(Seq until, const std::function<void(Seq, Seq)>& progress) {
    ChangedRows changed;
    const Status folded = fold(
        store_, projection_, Seq{position_.value + 1}, until, changed,
        [&](Seq last) {
            KAKITOME_RETURN_IF_ERROR(persist(changed, last));
            changed.clear();
            position_ = last;
            return Status::ok();
        },
        progress);
    if (folded.is_ok()) return folded;
    // The failed page is applied in memory up to where it failed, and not stored: the next
    // catch-up folds it again from position(), which would apply its first events twice (a
    // link issued twice stays live for good).
    const Status restored = restore_stored_rows(changed);
    return restored.is_ok() ? folded : restored;
}

Status ProjectionRunner::restore_stored_rows(const ChangedRows& changed) {
    const auto& database = store_.database();
    const std::string family = projection_family(projection_.name());
    // Rows of another format are not the projection's: none of its own is stored yet.
    const bool stored_rows_are_its_own = stored_format_ == projection_.row_format();
    for (const auto& key : changed.keys()) {
        std::optional<std::string> stored;
        if (stored_rows_are_its_own && database->has_family(family)) {
            auto got = database->get(family, key);
            if (!got.is_ok()) return got.status();
            stored = std::move(got).value();
        }
        if (!stored) {
            projection_.forget_row(key);
        } else if (!projection_.load_row(key, *stored)) {
            return Status::corruption("projection " + projection_.name() + ": stored row " + key +
                                      " does not parse");
        }
    }
    return Status::ok();
}

Status rebuild_projection(const EventStore& store, Projection& fresh, Seq until,
                          const std::function<void(Seq, Seq)>& progress) {
    ChangedRows changed = ChangedRows::ignored();
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
