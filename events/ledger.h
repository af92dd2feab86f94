// Ledger: the log's RFC 9162 Merkle tree, kept incrementally in the `merkle` column family, and
// its signed checkpoints (docs/design.md §3).
//
// Every complete subtree is stored once as it completes, 256 of a level under one key
// (events/tree_strips.h), so any root, inclusion proof or consistency proof is O(log² n) reads
// with no rebuild on start. extend() follows the log like a projection (tree nodes and size in
// one WriteBatch per page), so appends never wait for hashing; a long extension reads and hashes
// on two threads (events/subtree_pipeline.h).
// Checkpoints (C2SP tlog-checkpoint in a signed note, Ed25519) are stored in `meta` under
// "ledger:checkpoint:<size>". extend() and cut_checkpoint() from one thread; the read calls
// are thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event_store.h"
#include "events/merkle.h"
#include "events/note_signer.h"

namespace kakitome {

inline constexpr const char* kMerkleFamily = "merkle";

struct Checkpoint {
    std::string origin;
    std::uint64_t size = 0;
    merkle::Hash root{};
    std::string note;  // the signed note as served
};

// A tree size as C2SP writes it (checkpoints, tlog-witness): decimal digits without sign,
// spaces or leading zeroes, at most 19 of them; nullopt for anything else.
std::optional<std::uint64_t> parse_tree_size(std::string_view text);

// "<origin>\n<size>\n<base64 root>\n"
std::string checkpoint_body(const std::string& origin, std::uint64_t size,
                            const merkle::Hash& root);
// Parses and checks the signature of a checkpoint note.
Result<Checkpoint> open_checkpoint(std::string_view note, std::string_view verifier_key);

// Reads the origin, size and root of a checkpoint note WITHOUT checking its signature: for a
// store's own consistency (does the stored tree match what was signed?) when no verifier key
// is at hand. Whoever uses it must say the signatures were not checked.
Result<Checkpoint> read_checkpoint_unverified(std::string_view note);

// The size of the latest checkpoint stored in `database` (0 when none), read from `meta` alone:
// `verify` holds the log to it (a log shorter than something already signed was cut).
Result<std::uint64_t> latest_checkpoint_size(const Database& database);

// The stored state of the tree, read from the database alone (for `verify`, which recomputes
// the tree from the events and compares): the number of leaves, one complete subtree's hash
// (nullopt when absent), and every stored checkpoint note by size, ascending.
Result<std::uint64_t> stored_tree_size(const Database& database);
Result<std::optional<merkle::Hash>> stored_tree_node(const Database& database, unsigned level,
                                                     std::uint64_t index);
Result<std::vector<std::pair<std::uint64_t, std::string>>> stored_checkpoint_notes(
    const Database& database);

class Ledger {
  public:
    // The database must have kMerkleFamily open (read-only databases: proofs up to what is stored).
    static Result<std::unique_ptr<Ledger>> open(const EventStore& store,
                                                std::optional<NoteSigner> signer,
                                                std::string origin);

    Status extend();
    std::uint64_t size() const;
    merkle::NodeSource nodes() const;
    Result<merkle::Hash> root(std::uint64_t size) const;
    // Leaf index = seq - 1.
    Result<std::vector<merkle::Hash>> inclusion_proof(Seq seq, std::uint64_t size) const;
    Result<std::vector<merkle::Hash>> consistency_proof(std::uint64_t first,
                                                        std::uint64_t second) const;

    // Extends, then signs and stores a checkpoint of the current size (or returns the latest one
    // when nothing was added since). Refuses (corruption, reason not_an_extension) to sign a
    // tree that is larger than the log or that the stored nodes do not prove an extension of
    // the latest signed checkpoint.
    Result<Checkpoint> cut_checkpoint();
    Result<std::optional<Checkpoint>> latest_checkpoint() const;
    Result<std::vector<Checkpoint>> checkpoints() const;
    const std::string& origin() const { return origin_; }

    // Witness cosignatures (events/cosignature.h), kept in `meta` beside the checkpoint of
    // `size` ("ledger:cosignature:<size>:<witness>"); the caller has checked the line.
    Status store_cosignature(std::uint64_t size, const std::string& witness,
                             const std::string& line);
    // The checkpoint's note with every stored cosignature line appended (a valid signed note
    // with several signatures), and the witnesses that cosigned it.
    Result<std::pair<std::string, std::vector<std::string>>> cosigned_note(
        const Checkpoint& checkpoint) const;
    std::string verifier_key() const { return signer_ ? signer_->verifier_key() : std::string(); }

  private:
    Ledger(const EventStore& store, std::optional<NoteSigner> signer, std::string origin);
    Result<merkle::Hash> node(unsigned level, std::uint64_t index) const;
    Status check_extends(const std::optional<Checkpoint>& latest, std::uint64_t size,
                         const merkle::Hash& new_root) const;
    const EventStore& store_;
    std::optional<NoteSigner> signer_;
    std::string origin_;
    std::atomic<std::uint64_t> size_{0};
};

}  // namespace kakitome
