#include "replay/store_verifier.h"

#include <rocksdb/db.h>

#include <memory>

#include "events/event.h"
#include "events/ledger.h"
#include "events/rocksdb_status.h"
#include "events/sha256.h"
#include "events/storage_keys.h"

namespace kakitome {

namespace keys = storage_keys;

namespace {

std::optional<ChainBreak> check_stream_index(const Database& database, const RecordedEvent& event) {
    std::string value;
    auto got = database.db()->Get(rocksdb::ReadOptions(), database.streams(),
                                  keys::stream_key(event.stream, event.version.value), &value);
    if (!got.ok() || keys::read_big_endian(value) != event.seq.value) {
        return ChainBreak{event.seq, "stream index for " + event.stream + " version " +
                                         std::to_string(event.version.value) +
                                         " does not point at this event"};
    }
    return std::nullopt;
}

}  // namespace

Result<VerifyReport> verify_store(const Database& database,
                                  const std::function<void(std::uint64_t)>& progress) {
    VerifyReport report;
    ChainVerifier chain;
    rocksdb::ReadOptions read_options;
    read_options.verify_checksums = true;
    read_options.fill_cache = false;  // a full scan would evict everything useful
    std::unique_ptr<rocksdb::Iterator> it(
        database.db()->NewIterator(read_options, database.events()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string_view key(it->key().data(), it->key().size());
        const std::string_view value(it->value().data(), it->value().size());
        auto seq = keys::read_big_endian(key);
        if (!seq) {
            report.first_break = ChainBreak{Seq{chain.last_seq().value + 1}, "malformed event key"};
            break;
        }
        if (auto broken = chain.accept(Seq{*seq}, value)) {
            report.first_break = broken;
            break;
        }
        auto event = decode_stored_event(value);  // decodes: accept() just checked it
        if (auto broken = check_stream_index(database, event.value())) {
            report.first_break = broken;
            break;
        }
        ++report.events_checked;
        if (progress && report.events_checked % 100000 == 0) progress(report.events_checked);
    }
    if (!it->status().ok()) {
        if (it->status().IsCorruption()) {
            report.first_break = ChainBreak{Seq{chain.last_seq().value + 1},
                                            "storage checksum failed: " + it->status().ToString()};
        } else {
            return from_rocksdb(it->status(), "scanning events");
        }
    }
    report.head = chain.last_seq();
    report.head_hash_hex = to_hex(chain.head_hash());

    if (report.intact()) {
        // A log shorter than a checkpoint this store already signed has lost events, however
        // well its remaining chain and head agree.
        auto signed_size = latest_checkpoint_size(database);
        if (!signed_size.is_ok()) return signed_size.status();
        if (signed_size.value() > report.head.value)
            report.first_break = ChainBreak{
                Seq{report.head.value + 1},
                "missing: a checkpoint was signed at size " + std::to_string(signed_size.value()) +
                    " but the log ends at seq " + std::to_string(report.head.value)};
    }
    if (report.intact()) {
        std::string head_value;
        auto got = database.db()->Get(rocksdb::ReadOptions(), database.meta(),
                                      std::string(keys::kMetaHead), &head_value);
        const Sha256Digest& hash = chain.head_hash();
        const std::string expected =
            keys::big_endian(report.head.value) + std::string(hash.begin(), hash.end());
        const bool empty_and_absent = report.head.value == 0 && got.IsNotFound();
        if (!empty_and_absent && (!got.ok() || head_value != expected)) {
            report.first_break =
                ChainBreak{Seq{report.head.value}, "meta head does not match the last event"};
        }
    }
    return report;
}

}  // namespace kakitome
