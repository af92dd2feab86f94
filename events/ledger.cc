#include "events/ledger.h"

#include "events/storage_keys.h"
#include "events/subtree_pipeline.h"
#include "events/tree_strips.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <sstream>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/base/base64.h"
#include "events/rocksdb_status.h"

namespace kakitome {

namespace {

constexpr const char* kSizeKey = "ledger:size";
constexpr const char* kCheckpointPrefix = "ledger:checkpoint:";

// Two: the machines this runs on have two cores, and the caller only writes.
constexpr unsigned kSubtreeWorkers = 2;

std::string cosignature_prefix(std::uint64_t size) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%020llu:", static_cast<unsigned long long>(size));
    return std::string("ledger:cosignature:") + digits;
}

std::string checkpoint_key(std::uint64_t size) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(size));
    return std::string(kCheckpointPrefix) + digits;
}

}  // namespace

std::optional<std::uint64_t> parse_tree_size(std::string_view text) {
    if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0') ||
        text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    return value;
}

Result<std::uint64_t> latest_checkpoint_size(const Database& database) {
    std::unique_ptr<rocksdb::Iterator> it(
        database.db()->NewIterator(rocksdb::ReadOptions(), database.meta()));
    it->SeekForPrev(std::string(kCheckpointPrefix) + "~");
    if (!it->Valid() || !it->key().starts_with(kCheckpointPrefix)) {
        if (!it->status().ok()) return from_rocksdb(it->status(), "reading checkpoints");
        return std::uint64_t{0};
    }
    try {
        return static_cast<std::uint64_t>(
            std::stoull(it->key().ToString().substr(std::string(kCheckpointPrefix).size())));
    } catch (const std::exception&) {
        return Status::corruption("a stored checkpoint key is malformed");
    }
}

std::string checkpoint_body(const std::string& origin, std::uint64_t size,
                            const merkle::Hash& root) {
    return origin + "\n" + std::to_string(size) + "\n" +
           base64_encode(
               std::string_view(reinterpret_cast<const char*>(root.data()), root.size())) +
           "\n";
}

namespace {

Result<Checkpoint> parse_checkpoint_text(std::string_view note, const std::string& text) {
    std::istringstream lines(text);
    std::string origin, size, root;
    if (!std::getline(lines, origin) || !std::getline(lines, size) || !std::getline(lines, root)) {
        return Status::corruption("a checkpoint has origin, size and root lines")
            .with_reason("bad_checkpoint");
    }
    // Exactly three lines: kakitome signs no extension lines, and a body with more is not one
    // of its checkpoints (a witness must cosign nothing the log did not sign).
    if (std::string rest; std::getline(lines, rest))
        return Status::corruption("a checkpoint has exactly origin, size and root lines")
            .with_reason("bad_checkpoint");
    Checkpoint checkpoint;
    checkpoint.origin = origin;
    const auto parsed_size = parse_tree_size(size);
    if (!parsed_size)
        return Status::corruption("checkpoint size is not a decimal number")
            .with_reason("bad_checkpoint");
    checkpoint.size = *parsed_size;
    auto bytes = base64_decode(root);
    if (!bytes.is_ok() || bytes->size() != 32)
        return Status::corruption("checkpoint root is not a SHA-256 hash")
            .with_reason("bad_checkpoint");
    std::copy(bytes->begin(), bytes->end(), checkpoint.root.begin());
    checkpoint.note = std::string(note);
    return checkpoint;
}

}  // namespace

Result<Checkpoint> open_checkpoint(std::string_view note, std::string_view verifier_key) {
    auto text = open_signed_note(note, verifier_key);
    if (!text.is_ok()) return text.status();
    return parse_checkpoint_text(note, text.value());
}

Result<Checkpoint> read_checkpoint_unverified(std::string_view note) {
    const auto split = note.rfind("\n\n");
    if (split == std::string_view::npos)
        return Status::corruption("a checkpoint note has no signature block")
            .with_reason("bad_checkpoint");
    return parse_checkpoint_text(note, std::string(note.substr(0, split + 1)));
}

Result<std::uint64_t> stored_tree_size(const Database& database) {
    std::string size;
    auto got = database.db()->Get(rocksdb::ReadOptions(), database.meta(), kSizeKey, &size);
    if (got.IsNotFound()) return std::uint64_t{0};
    if (!got.ok()) return from_rocksdb(got, "reading ledger size");
    try {
        return static_cast<std::uint64_t>(std::stoull(size));
    } catch (const std::exception&) {
        return Status::corruption("the stored ledger size is not a number");
    }
}

Result<std::optional<merkle::Hash>> stored_tree_node(const Database& database, unsigned level,
                                                     std::uint64_t index) {
    auto* family = database.family(kMerkleFamily);
    if (!family) return std::optional<merkle::Hash>();
    return tree_strips::read_node(database, family, level, index);
}

Result<std::vector<std::pair<std::uint64_t, std::string>>> stored_checkpoint_notes(
    const Database& database) {
    std::vector<std::pair<std::uint64_t, std::string>> notes;
    std::unique_ptr<rocksdb::Iterator> it(
        database.db()->NewIterator(rocksdb::ReadOptions(), database.meta()));
    for (it->Seek(kCheckpointPrefix); it->Valid() && it->key().starts_with(kCheckpointPrefix);
         it->Next()) {
        try {
            notes.emplace_back(
                std::stoull(it->key().ToString().substr(std::string(kCheckpointPrefix).size())),
                it->value().ToString());
        } catch (const std::exception&) {
            return Status::corruption("a stored checkpoint key is malformed");
        }
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "reading checkpoints");
    return notes;
}

Ledger::Ledger(const EventStore& store, std::optional<NoteSigner> signer, std::string origin)
    : store_(store), signer_(std::move(signer)), origin_(std::move(origin)) {}

Result<std::unique_ptr<Ledger>> Ledger::open(const EventStore& store,
                                             std::optional<NoteSigner> signer, std::string origin) {
    const auto& database = store.database();
    if (!database->family(kMerkleFamily)) {
        if (!database->read_only()) return Status::internal("the merkle column family is not open");
    }
    std::unique_ptr<Ledger> ledger(new Ledger(store, std::move(signer), std::move(origin)));
    std::string size;
    auto got = database->db()->Get(rocksdb::ReadOptions(), database->meta(), kSizeKey, &size);
    if (got.ok()) {
        ledger->size_ = std::stoull(size);
    } else if (!got.IsNotFound()) {
        return from_rocksdb(got, "reading ledger size");
    }
    return ledger;
}

std::uint64_t Ledger::size() const {
    return size_.load();
}

Result<merkle::Hash> Ledger::node(unsigned level, std::uint64_t index) const {
    auto stored = stored_tree_node(*store_.database(), level, index);
    if (!stored.is_ok()) return stored.status();
    if (!stored.value())
        return Status::not_found("no merkle node at level " + std::to_string(level) + " index " +
                                 std::to_string(index));
    return *stored.value();
}

merkle::NodeSource Ledger::nodes() const {
    return [this](unsigned level, std::uint64_t index) { return node(level, index); };
}

Status Ledger::extend() {
    const auto& database = store_.database();
    if (database->read_only()) return Status::ok();
    auto* family = database->family(kMerkleFamily);
    const Seq head = store_.head();
    std::uint64_t size = size_.load();
    if (size > 0 && size < head.value) {
        // The tree grows only on the log it was built from: a log cut below the tree and
        // refilled past it must not get new leaves over the hole (and so never a signature).
        auto last = store_.read_event(Seq{size});
        auto stored = node(0, size - 1);
        if (!last.is_ok() || !stored.is_ok() || merkle::leaf_hash(last->hash) != stored.value())
            return Status::corruption("leaf " + std::to_string(size - 1) +
                                      " of the stored tree is not the hash of event " +
                                      std::to_string(size) +
                                      ": the log was rewritten below the tree; refusing to extend")
                .with_reason("not_an_extension");
    }
    if (size >= head.value) return Status::ok();
    // The right edge of the tree: complete subtrees that still wait for a right sibling.
    std::vector<std::pair<unsigned, merkle::Hash>> pending;
    for (unsigned level = 0; (size >> level) != 0; ++level) {
        if ((size >> level) & 1) {
            auto hash = node(level, (size >> level) - 1);
            if (!hash.is_ok()) return hash.status();
            pending.emplace_back(level, hash.value());
        }
    }
    std::reverse(pending.begin(), pending.end());  // highest level first, as a stack
    auto strips = tree_strips::StripWriter::open(*database, family, size);
    if (!strips.is_ok()) return strips.status();
    tree_strips::StripWriter& writer = strips.value();
    // Nodes and the new size in one batch: the stored size never counts a node not written.
    const auto commit = [&]() -> Status {
        rocksdb::WriteBatch batch;
        writer.write_to(batch);
        batch.Put(database->meta(), kSizeKey, std::to_string(size));
        auto written = database->db()->Write(rocksdb::WriteOptions(), &batch);
        if (!written.ok()) return from_rocksdb(written, "writing merkle nodes");
        size_ = size;
        return Status::ok();
    };
    // A new complete subtree (level, index) joins the edge: while it is a right child, it and
    // its left sibling make their parent.
    const auto join_edge = [&](unsigned level, std::uint64_t index, merkle::Hash hash) -> Status {
        while (index & 1) {
            hash = merkle::node_hash(pending.back().second, hash);
            pending.pop_back();
            ++level;
            index >>= 1;
            KAKITOME_RETURN_IF_ERROR(writer.put(level, index, hash));
        }
        pending.emplace_back(level, hash);
        return Status::ok();
    };
    // Leaves [size, until) one by one: the short extensions of a running server, and the ends of
    // a long one that do not fill a whole chunk.
    const auto extend_leaf_by_leaf = [&](std::uint64_t until) -> Status {
        if (until <= size) return Status::ok();
        Status failure;
        KAKITOME_RETURN_IF_ERROR(store_.scan_stored_events(
            Seq{size + 1}, Seq{until}, [&](Seq seq, std::string_view stored) {
                if (seq.value != size + 1 || stored.size() < sizeof(Sha256Digest)) return false;
                // The leaf is the event's hash, the record's first 32 bytes: nothing decoded.
                const merkle::Hash leaf = merkle::leaf_hash(
                    reinterpret_cast<const std::uint8_t*>(stored.data()), sizeof(Sha256Digest));
                failure = writer.put(0, size, leaf);
                if (failure.is_ok()) failure = join_edge(0, size, leaf);
                if (failure.is_ok() && ++size % kFollowerPageEvents == 0) failure = commit();
                return failure.is_ok();
            }));
        KAKITOME_RETURN_IF_ERROR(failure);
        if (size != until)
            return Status::corruption("the log has no readable event " + std::to_string(size + 1) +
                                      " to extend the tree with");
        return commit();
    };
    // A long extension (a first start, a rebuilt tree) reads and hashes whole aligned chunks on
    // two threads; only writing the strips and joining each chunk's root to the edge is serial.
    const std::uint64_t first_chunk = (size + kSubtreeLeaves - 1) / kSubtreeLeaves;
    const std::uint64_t end_chunk = head.value / kSubtreeLeaves;
    if (end_chunk >= first_chunk + 2) {
        KAKITOME_RETURN_IF_ERROR(extend_leaf_by_leaf(first_chunk * kSubtreeLeaves));
        const Status chunks = for_each_complete_subtree(
            store_, first_chunk, end_chunk, kSubtreeWorkers, [&](const SubtreeNodes& subtree) {
                for (unsigned level = 0; level <= kSubtreeLevel; ++level) {
                    const std::uint64_t first_index = subtree.chunk << (kSubtreeLevel - level);
                    for (std::size_t i = 0; i < subtree.levels[level].size(); ++i)
                        KAKITOME_RETURN_IF_ERROR(
                            writer.put(level, first_index + i, subtree.levels[level][i]));
                }
                KAKITOME_RETURN_IF_ERROR(
                    join_edge(kSubtreeLevel, subtree.chunk, subtree.levels[kSubtreeLevel][0]));
                size += kSubtreeLeaves;
                return commit();
            });
        KAKITOME_RETURN_IF_ERROR(chunks);
    }
    return extend_leaf_by_leaf(head.value);
}

Result<merkle::Hash> Ledger::root(std::uint64_t size) const {
    if (size > size_.load())
        return Status::invalid_argument("the tree has " + std::to_string(size_.load()) +
                                        " leaves, not " + std::to_string(size));
    return merkle::root(nodes(), size);
}

Result<std::vector<merkle::Hash>> Ledger::inclusion_proof(Seq seq, std::uint64_t size) const {
    if (seq.value == 0 || size > size_.load())
        return Status::invalid_argument("seq or size outside the tree").with_reason("out_of_range");
    return merkle::inclusion_proof(nodes(), seq.value - 1, size);
}

Result<std::vector<merkle::Hash>> Ledger::consistency_proof(std::uint64_t first,
                                                            std::uint64_t second) const {
    if (second > size_.load())
        return Status::invalid_argument("size outside the tree").with_reason("out_of_range");
    return merkle::consistency_proof(nodes(), first, second);
}

Result<std::optional<Checkpoint>> Ledger::latest_checkpoint() const {
    const auto& database = store_.database();
    std::unique_ptr<rocksdb::Iterator> it(
        database->db()->NewIterator(rocksdb::ReadOptions(), database->meta()));
    it->SeekForPrev(std::string(kCheckpointPrefix) + "~");
    if (!it->Valid() || !it->key().starts_with(kCheckpointPrefix))
        return std::optional<Checkpoint>();
    const std::string note = it->value().ToString();
    if (!signer_) {  // a read-only reader without the key: the note as stored
        Checkpoint unchecked;
        unchecked.note = note;
        unchecked.size =
            std::stoull(it->key().ToString().substr(std::string(kCheckpointPrefix).size()));
        return std::optional<Checkpoint>(unchecked);
    }
    auto checkpoint = open_checkpoint(note, signer_->verifier_key());
    if (!checkpoint.is_ok()) return checkpoint.status();
    return std::optional<Checkpoint>(checkpoint.value());
}

Status Ledger::store_cosignature(std::uint64_t size, const std::string& witness,
                                 const std::string& line) {
    rocksdb::WriteOptions options;
    options.sync = true;
    const auto& database = store_.database();
    return from_rocksdb(
        database->db()->Put(options, database->meta(), cosignature_prefix(size) + witness, line),
        "storing a cosignature");
}

Result<std::pair<std::string, std::vector<std::string>>> Ledger::cosigned_note(
    const Checkpoint& checkpoint) const {
    std::pair<std::string, std::vector<std::string>> out{checkpoint.note, {}};
    const std::string prefix = cosignature_prefix(checkpoint.size);
    KAKITOME_RETURN_IF_ERROR(store_.database()->scan(
        storage_keys::kMetaFamily, prefix, [&](std::string_view key, std::string_view value) {
            if (!key.starts_with(prefix)) return false;
            out.first += value;
            out.second.emplace_back(key.substr(prefix.size()));
            return true;
        }));
    return out;
}

Result<std::vector<Checkpoint>> Ledger::checkpoints() const {
    auto notes = stored_checkpoint_notes(*store_.database());
    if (!notes.is_ok()) return notes.status();
    std::vector<Checkpoint> out;
    for (auto& [size, note] : notes.value()) {
        Checkpoint checkpoint;
        checkpoint.size = size;
        checkpoint.note = std::move(note);
        out.push_back(std::move(checkpoint));
    }
    return out;
}

// A signature says "this is the log"; the ledger gives it only to a tree that contains every
// tree it signed before. The log must still hold every leaf of the tree, and the stored nodes
// must prove the last signed root a prefix of the new one (RFC 9162 consistency, verified as an
// outside verifier would). A cut log, a rewritten tail or a corrupted stored node fails here,
// and nothing is signed.
Status Ledger::check_extends(const std::optional<Checkpoint>& latest, std::uint64_t size,
                             const merkle::Hash& new_root) const {
    const std::uint64_t head = store_.head().value;
    if (size > head)
        return Status::corruption("the tree has " + std::to_string(size) +
                                  " leaves but the log ends at seq " + std::to_string(head) +
                                  "; refusing to sign")
            .with_reason("not_an_extension");
    if (!latest) return Status::ok();
    if (latest->size > size)
        return Status::corruption("a checkpoint was signed at size " +
                                  std::to_string(latest->size) + " but the tree has " +
                                  std::to_string(size) + " leaves; refusing to sign")
            .with_reason("not_an_extension");
    Status consistent = Status::ok();
    if (latest->size == size) {
        if (new_root != latest->root)
            consistent = Status::corruption("the root differs from the one signed at this size");
    } else if (latest->size > 0) {
        auto proof = consistency_proof(latest->size, size);
        if (!proof.is_ok()) return proof.status();
        consistent =
            merkle::verify_consistency(latest->size, size, proof.value(), latest->root, new_root);
    }
    if (!consistent.is_ok())
        return Status::corruption("the tree of " + std::to_string(size) +
                                  " leaves is not an extension of the checkpoint signed at size " +
                                  std::to_string(latest->size) + " (" + consistent.message() +
                                  "); refusing to sign")
            .with_reason("not_an_extension");
    return Status::ok();
}

Result<Checkpoint> Ledger::cut_checkpoint() {
    if (!signer_) return Status::failed_precondition("no ledger signing key");
    KAKITOME_RETURN_IF_ERROR(extend());
    auto latest = latest_checkpoint();
    if (!latest.is_ok()) return latest.status();
    const std::uint64_t size = size_.load();
    auto tree_root = root(size);
    if (!tree_root.is_ok()) return tree_root.status();
    KAKITOME_RETURN_IF_ERROR(check_extends(latest.value(), size, tree_root.value()));
    if (latest.value() && latest.value()->size == size) return *latest.value();
    Checkpoint checkpoint{origin_, size, tree_root.value(),
                          signer_->sign(checkpoint_body(origin_, size, tree_root.value()))};
    const auto& database = store_.database();
    rocksdb::WriteOptions options;
    options.sync = true;
    auto put =
        database->db()->Put(options, database->meta(), checkpoint_key(size), checkpoint.note);
    if (!put.ok()) return from_rocksdb(put, "storing checkpoint");
    return checkpoint;
}

}  // namespace kakitome
