#include "replay/restore.h"

#include <algorithm>
#include <set>

#include "events/base/base64.h"
#include "events/data_key_vault.h"
#include "events/erasure_journal.h"
#include "events/event_store.h"
#include "events/ledger.h"
#include "events/note_signer.h"

namespace kakitome {

const char* verdict_name(KnownCheckpointCheck::Verdict verdict) {
    switch (verdict) {
        case KnownCheckpointCheck::Verdict::consistent:
            return "consistent";
        case KnownCheckpointCheck::Verdict::ahead_of_restore:
            return "ahead_of_restore";
        case KnownCheckpointCheck::Verdict::forked:
            return "forked";
    }
    return "forked";
}

std::optional<KnownCheckpointCheck> RestoreProof::rollback() const {
    std::optional<KnownCheckpointCheck> largest;
    for (const auto& check : known) {
        if (check.verdict == KnownCheckpointCheck::Verdict::ahead_of_restore &&
            (!largest || check.size > largest->size))
            largest = check;
    }
    return largest;
}

bool RestoreProof::forked() const {
    return std::any_of(known.begin(), known.end(), [](const KnownCheckpointCheck& check) {
        return check.verdict == KnownCheckpointCheck::Verdict::forked;
    });
}

namespace {

Result<std::uint32_t> chosen_backup(const RestoreRequest& request, BackupInfo& info) {
    auto backups = list_backups(request.backup_directory);
    if (!backups.is_ok()) return backups.status();
    if (backups->empty())
        return Status::not_found("no backup in " + request.backup_directory.string());
    if (!request.backup_id) {
        info = backups->back();
        return info.id;
    }
    for (const auto& backup : backups.value()) {
        if (backup.id == *request.backup_id) {
            info = backup;
            return backup.id;
        }
    }
    return Status::not_found("no backup " + std::to_string(*request.backup_id) + " in " +
                             request.backup_directory.string());
}

// Everything after the files are in place; the caller removes the staging directory on error.
Status prove(const RestoreRequest& request, RestoreProof& proof) {
    auto database = Database::open({.directory = request.staging});
    if (!database.is_ok()) return database.status();
    auto verified = verify_store(*database.value(), {.verifier_key = request.verifier_key});
    if (!verified.is_ok()) return verified.status();
    proof.verified = verified.value();
    if (!proof.verified.intact()) {
        return Status::corruption("the restored store does not verify: seq " +
                                  std::to_string(proof.verified.first_break->seq.value) + ": " +
                                  proof.verified.first_break->reason)
            .with_reason("restore_not_intact");
    }
    auto store = EventStore::open(database.value());
    if (!store.is_ok()) return store.status();
    auto ledger = Ledger::open(*store.value(), std::nullopt, request.origin);
    if (!ledger.is_ok()) return ledger.status();
    auto latest = ledger.value()->latest_checkpoint();
    if (!latest.is_ok()) return latest.status();
    const std::uint64_t events = proof.verified.head.value;
    if (!latest.value() && events > 0) {
        return Status::corruption("the backup holds " + std::to_string(events) +
                                  " events but no signed checkpoint")
            .with_reason("restore_unsigned");
    }
    proof.checkpoint_size = latest.value() ? latest.value()->size : 0;

    for (const auto& note : request.known_checkpoints) {
        auto known = open_checkpoint(note, request.verifier_key);
        if (!known.is_ok()) {
            return Status::invalid_argument("a known checkpoint is not signed by the ledger key: " +
                                            known.status().message())
                .with_reason("bad_known_checkpoint");
        }
        if (known->origin != request.origin) {
            return Status::invalid_argument("a known checkpoint is of another log: " +
                                            known->origin)
                .with_reason("bad_known_checkpoint");
        }
        KnownCheckpointCheck check{
            known->size,
            base64_encode(std::string_view(reinterpret_cast<const char*>(known->root.data()),
                                           known->root.size())),
            KnownCheckpointCheck::Verdict::consistent};
        if (known->size > ledger.value()->size()) {
            check.verdict = KnownCheckpointCheck::Verdict::ahead_of_restore;
        } else {
            auto root = ledger.value()->root(known->size);
            if (!root.is_ok()) return root.status();
            if (root.value() != known->root) check.verdict = KnownCheckpointCheck::Verdict::forked;
        }
        proof.known.push_back(std::move(check));
    }

    auto journal = ErasureJournal::open({request.staging / kErasureJournalName});
    if (!journal.is_ok()) return journal.status();
    auto vault =
        DataKeyVault::open(database.value(), request.master_key, std::move(journal).value());
    if (!vault.is_ok()) return vault.status();
    std::vector<std::filesystem::path> journals{request.backup_directory / kErasureJournalName};
    journals.insert(journals.end(), request.erasure_journals.begin(),
                    request.erasure_journals.end());
    std::set<std::string> seen;
    for (const auto& file : journals) {
        auto erasures = read_erasure_journal(file);
        if (!erasures.is_ok()) return erasures.status();
        for (const auto& erasure : erasures.value()) {
            if (!seen.insert(erasure.key).second) continue;
            auto live = vault.value()->is_live(erasure.key);
            if (!live.is_ok()) return live.status();
            if (live.value()) proof.erased_after_backup.push_back(erasure.key);
        }
    }
    return Status::ok();
}

}  // namespace

Result<RestoreProof> restore_and_prove(const RestoreRequest& request) {
    KAKITOME_RETURN_IF_ERROR(check_verifier_key(request.verifier_key));
    RestoreProof proof;
    auto id = chosen_backup(request, proof.backup);
    if (!id.is_ok()) return id.status();
    if (std::filesystem::exists(request.staging))
        return Status::failed_precondition(request.staging.string() + " exists")
            .with_reason("target_exists");
    Status proved = restore_backup(request.backup_directory, id.value(), request.staging);
    if (proved.is_ok()) proved = prove(request, proof);
    if (!proved.is_ok()) {
        std::error_code ignored;
        std::filesystem::remove_all(request.staging, ignored);
        return proved;
    }
    return proof;
}

}  // namespace kakitome
