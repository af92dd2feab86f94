#include "replay/store_verifier.h"

#include <future>
#include <map>
#include <memory>
#include <optional>

#include "events/base/sha256.h"
#include "events/event.h"
#include "events/ledger.h"
#include "events/merkle.h"
#include "events/storage_keys.h"
#include "events/stream_index_audit.h"
#include "events/tree_strips.h"

namespace kakitome {

namespace keys = storage_keys;

namespace {

// The first of `places` whose stream index entry does not point at it. A read that fails is an
// error, not a break: which event of the batch it concerns is not known.
Result<std::optional<ChainBreak>> check_stream_index(const Database& database,
                                                     const std::vector<StreamPlace>& places) {
    if (places.empty()) return std::optional<ChainBreak>();
    auto missed = first_place_the_index_misses(database, places);
    if (!missed.is_ok()) return missed.status();
    if (!missed.value()) return std::optional<ChainBreak>();
    const StreamPlace& place = *missed.value();
    return std::optional<ChainBreak>(
        ChainBreak{place.seq, "stream index for " + place.stream + " version " +
                                  std::to_string(place.version) + " does not point at this event"});
}

// The tree recomputed leaf by leaf as the scan goes: the right edge (complete subtrees still
// waiting for a right sibling) is all it keeps, so memory is O(log n). Every subtree it
// completes inside the stored tree is compared with the stored node, and at every size a
// checkpoint was stored for, the recomputed root with the checkpoint's.
class TreeAudit {
  public:
    TreeAudit(const Database& database, std::uint64_t stored_size,
              std::map<std::uint64_t, Checkpoint> checkpoints, VerifyReport& report)
        : stored_size_(stored_size), checkpoints_(std::move(checkpoints)), report_(report) {
        if (auto* family = database.family(kMerkleFamily)) nodes_.emplace(database, family);
    }

    Result<std::optional<ChainBreak>> add(Seq seq, const Sha256Digest& event_hash) {
        merkle::Hash hash = merkle::leaf_hash(event_hash);
        std::uint64_t index = size_;
        unsigned level = 0;
        for (;;) {
            auto checked = compare_with_stored(seq, level, index, hash);
            if (!checked.is_ok() || checked.value()) return checked;
            if ((index & 1) == 0) break;
            hash = merkle::node_hash(edge_.back(), hash);
            edge_.pop_back();
            ++level;
            index >>= 1;
        }
        edge_.push_back(hash);
        ++size_;
        if (auto checkpoint = checkpoints_.find(size_); checkpoint != checkpoints_.end()) {
            ++report_.checkpoints_checked;
            if (checkpoint->second.root != root())
                return std::optional<ChainBreak>(
                    ChainBreak{seq, "the checkpoint signed at size " + std::to_string(size_) +
                                        " has a root that is not the root of the first " +
                                        std::to_string(size_) + " events"});
        }
        return std::optional<ChainBreak>();
    }

  private:
    Result<std::optional<ChainBreak>> compare_with_stored(Seq seq, unsigned level,
                                                          std::uint64_t index,
                                                          const merkle::Hash& hash) {
        const std::uint64_t last_leaf = ((index + 1) << level);  // one past
        if (last_leaf > stored_size_) return std::optional<ChainBreak>();
        auto stored = nodes_ ? nodes_->node(level, index)
                             : Result<std::optional<merkle::Hash>>(std::optional<merkle::Hash>());
        if (!stored.is_ok()) return stored.status();
        if (!stored.value() || *stored.value() != hash)
            return std::optional<ChainBreak>(ChainBreak{
                seq, std::string("the stored Merkle node at level ") + std::to_string(level) +
                         " index " + std::to_string(index) + " (events " +
                         std::to_string((index << level) + 1) + "–" + std::to_string(last_leaf) +
                         ") " + (stored.value() ? "does not match the events" : "is missing")});
        ++report_.tree_nodes_checked;
        return std::optional<ChainBreak>();
    }
    merkle::Hash root() const {
        merkle::Hash hash = edge_.back();
        for (auto left = edge_.rbegin() + 1; left != edge_.rend(); ++left)
            hash = merkle::node_hash(*left, hash);
        return hash;
    }

    // The walk reads each level's nodes in rising order: each strip once, not a Get per node.
    std::optional<tree_strips::StripWalker> nodes_;
    const std::uint64_t stored_size_;
    const std::map<std::uint64_t, Checkpoint> checkpoints_;
    VerifyReport& report_;
    std::vector<merkle::Hash> edge_;  // highest (leftmost) subtree first
    std::uint64_t size_ = 0;
};

// Every stored checkpoint, opened with the verifier key when given (a bad signature is a
// break at that size) or read without it.
Result<std::pair<std::map<std::uint64_t, Checkpoint>, std::optional<ChainBreak>>> load_checkpoints(
    const Database& database, const std::optional<std::string>& verifier_key) {
    std::map<std::uint64_t, Checkpoint> checkpoints;
    auto notes = stored_checkpoint_notes(database);
    if (!notes.is_ok()) return notes.status();
    for (const auto& [size, note] : notes.value()) {
        auto checkpoint =
            verifier_key ? open_checkpoint(note, *verifier_key) : read_checkpoint_unverified(note);
        if (!checkpoint.is_ok() || checkpoint->size != size) {
            if (checkpoint.status().reason() == "bad_verifier_key") return checkpoint.status();
            return std::pair(
                checkpoints,
                std::optional<ChainBreak>(ChainBreak{
                    Seq{size},
                    "the checkpoint stored at size " + std::to_string(size) + " does not " +
                        (verifier_key ? "verify with the key given" : "parse as a checkpoint")}));
        }
        checkpoints.emplace(size, checkpoint.value());
    }
    return std::pair(checkpoints, std::optional<ChainBreak>());
}

}  // namespace

const std::vector<std::string>& projections_not_verified() {
    static const std::vector<std::string> names = {"queue",       "directory", "downloads",
                                                   "disclosures", "inbox",     "incidents"};
    return names;
}

Result<VerifyReport> verify_store(const Database& database, const VerifyOptions& options) {
    VerifyReport report;
    auto tree_size = stored_tree_size(database);
    if (!tree_size.is_ok()) return tree_size.status();
    auto checkpoints = load_checkpoints(database, options.verifier_key);
    if (!checkpoints.is_ok()) return checkpoints.status();
    report.signatures_checked = options.verifier_key.has_value();
    if (checkpoints->second) {
        report.first_break = checkpoints->second;
        return report;
    }
    TreeAudit tree(database, tree_size.value(), std::move(checkpoints->first), report);

    ChainVerifier chain;
    Status tree_error;
    // Each page of checked events goes to the stream index check on another thread; the scan
    // waits for the page before it, so at most one is in flight and a break there stops the scan.
    const std::size_t batch_events = std::max<std::size_t>(options.index_batch_events, 1);
    std::vector<StreamPlace> places;
    places.reserve(batch_events);
    std::future<Result<std::optional<ChainBreak>>> checking;
    std::optional<ChainBreak> index_break;
    Status index_error;
    const auto take = [&](Result<std::optional<ChainBreak>> checked) {
        if (!checked.is_ok())
            index_error = checked.status();
        else
            index_break = checked.value();
        return !index_break && index_error.is_ok();
    };
    const auto index_page_in_flight_is_clean = [&] {
        return checking.valid() ? take(checking.get()) : !index_break && index_error.is_ok();
    };
    std::uint64_t accepted = 0;
    const Status scanned = database.scan(
        keys::kEventsFamily, "",
        [&](std::string_view key, std::string_view value) {
            auto seq = keys::read_big_endian(key);
            if (!seq) {
                report.first_break =
                    ChainBreak{Seq{chain.last_seq().value + 1}, "malformed event key"};
                return false;
            }
            if (auto broken = chain.accept(Seq{*seq}, value)) {
                report.first_break = broken;
                return false;
            }
            const RecordedEvent& event = chain.last_event();
            places.push_back({event.seq, event.stream, event.version.value});
            auto in_tree = tree.add(event.seq, event.hash);
            if (!in_tree.is_ok()) {
                tree_error = in_tree.status();
                return false;
            }
            if (in_tree.value()) {
                report.first_break = in_tree.value();
                return false;
            }
            ++accepted;
            if (options.progress && accepted % 100000 == 0) options.progress(accepted);
            if (places.size() == batch_events) {
                if (!index_page_in_flight_is_clean()) return false;
                checking = std::async(std::launch::async, [&database, page = std::move(places)] {
                    return check_stream_index(database, page);
                });
                places = {};
                places.reserve(batch_events);
            }
            return true;
        },
        Database::ScanKind::full_pass);
    // The index of the events checked before the scan stopped: the page in flight, then the rest
    // here. A break found there comes before whatever stopped the scan (a later break, a tree
    // break at the same event, whose index was checked first as it always was, or an error).
    if (index_page_in_flight_is_clean()) take(check_stream_index(database, places));
    KAKITOME_RETURN_IF_ERROR(index_error);
    if (!index_break) KAKITOME_RETURN_IF_ERROR(tree_error);
    if (!scanned.is_ok()) {
        // RocksDB's block checksums caught damage below the chain: still tampering, by seq.
        if (scanned.code() == StatusCode::corruption)
            report.first_break = ChainBreak{Seq{chain.last_seq().value + 1},
                                            "storage checksum failed: " + scanned.message()};
        else if (!index_break)
            return scanned;
    }
    if (index_break && (!report.first_break || index_break->seq <= report.first_break->seq))
        report.first_break = index_break;
    report.events_checked = report.first_break ? report.first_break->seq.value - 1 : accepted;
    report.head = chain.last_seq();
    report.head_hash_hex = to_hex(chain.head_hash());

    if (report.intact()) {
        // A log shorter than a checkpoint this store already signed, or than its own tree, has
        // lost events, however well its remaining chain and head agree.
        auto signed_size = latest_checkpoint_size(database);
        if (!signed_size.is_ok()) return signed_size.status();
        if (signed_size.value() > report.head.value) {
            report.first_break = ChainBreak{
                Seq{report.head.value + 1},
                "missing: a checkpoint was signed at size " + std::to_string(signed_size.value()) +
                    " but the log ends at seq " + std::to_string(report.head.value)};
        } else if (tree_size.value() > report.head.value) {
            report.first_break = ChainBreak{
                Seq{report.head.value + 1},
                "missing: the ledger's tree has " + std::to_string(tree_size.value()) +
                    " leaves but the log ends at seq " + std::to_string(report.head.value)};
        }
    }
    if (report.intact()) {
        auto head_value = database.get(keys::kMetaFamily, keys::kMetaHead);
        const Sha256Digest& hash = chain.head_hash();
        const std::string expected =
            keys::big_endian(report.head.value) + std::string(hash.begin(), hash.end());
        const bool empty_and_absent =
            report.head.value == 0 && head_value.is_ok() && !head_value->has_value();
        if (!empty_and_absent &&
            (!head_value.is_ok() || !head_value->has_value() || **head_value != expected)) {
            report.first_break =
                ChainBreak{Seq{report.head.value}, "meta head does not match the last event"};
        }
    }
    return report;
}

}  // namespace kakitome
