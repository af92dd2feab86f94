// A restore that proves itself (docs/operations.md, "Restore drill"). restore_and_prove()
// restores one backup into a staging directory and, before anyone trusts it, checks:
// - the whole store (replay/store_verifier.h): chain, stream index, head, the Merkle tree
//   recomputed from the events, every stored checkpoint's root and signature;
// - that the backup holds a signed checkpoint (unless it holds no events at all);
// - every checkpoint known from outside (a signed note kept by an auditor, a witness, an
//   export): signed by the ledger key, of the same origin, and either within the restored log
//   with the same root (consistent), larger than the restored log (a rollback: events the
//   world saw would be lost), or within it with another root (a fork: another history);
// - which data keys the erasure journals name that are still live in the backup: erasures
//   made after the backup, which the caller applies again before the data is used.
// It never moves the staging directory: the caller commits (renames) or discards it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "events/backups.h"
#include "events/base/aead.h"
#include "events/base/status.h"
#include "replay/store_verifier.h"

namespace kakitome {

struct RestoreRequest {
    std::filesystem::path backup_directory;
    std::optional<std::uint32_t> backup_id;               // the newest when empty
    std::filesystem::path staging;                        // must not exist
    std::string origin;                                   // the ledger's checkpoint origin
    std::string verifier_key;                             // the ledger's (required)
    AeadKey master_key{};                                 // to tell live data keys from erased ones
    std::vector<std::string> known_checkpoints;           // signed checkpoint notes
    std::vector<std::filesystem::path> erasure_journals;  // besides the backup directory's
};

struct KnownCheckpointCheck {
    enum class Verdict { consistent, ahead_of_restore, forked };
    std::uint64_t size = 0;
    std::string root_base64;
    Verdict verdict = Verdict::consistent;
};
const char* verdict_name(KnownCheckpointCheck::Verdict verdict);

struct RestoreProof {
    BackupInfo backup;
    VerifyReport verified;
    std::uint64_t checkpoint_size = 0;  // the backup's latest signed checkpoint
    std::vector<KnownCheckpointCheck> known;
    std::vector<std::string> erased_after_backup;  // journaled keys still live in the backup
    // The largest known checkpoint the restore would go back behind, if any.
    std::optional<KnownCheckpointCheck> rollback() const;
    bool forked() const;
};

// invalid_argument for a malformed or wrongly signed known checkpoint or a bad verifier key;
// not_found for a missing backup; corruption when the restored store does not verify or holds
// events without a signed checkpoint. On any error the staging directory is removed.
Result<RestoreProof> restore_and_prove(const RestoreRequest& request);

}  // namespace kakitome
