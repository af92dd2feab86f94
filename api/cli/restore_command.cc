// kakitome restore --from BACKUP_DIR --to DATA --master-key FILE --ledger-key FILE
//                  [--pubkey KEY|FILE] [--backup ID] [--known-checkpoint FILE]...
//                  [--erasure-journal FILE]... [--accept-rollback --reason TEXT] [--config FILE]
//
// Restores a backup (the newest unless --backup) into DATA, which must not exist, and proves it
// before anything uses it (replay/restore.h): the store verifies, its latest signed checkpoint
// is the root of its tree, and every checkpoint known from outside is consistent with it.
// A restore behind a known checkpoint (events the world saw would be lost) is refused, exit 1,
// unless --accept-rollback with a --reason: then a LedgerRolledBack event records it. A fork
// (a known checkpoint with another root at a size the backup holds) is always refused.
// Then every erasure journaled after the backup was taken is applied again (the application
// erased, its key destroyed, its mails deleted), and a BackupRestored event records the
// restore. The master key must be given: a restore must never create a new one.
// The witnesses of the configuration (--config) are asked as well: one that cosigned a larger
// tree is a rollback, one that holds another tree a fork, judged as a known checkpoint is.
#include <cstdio>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"
#include "api/cli/file_io.h"
#include "api/cli/store_access.h"
#include "api/witness/checkpoint_witnessing.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/operations_events.h"
#include "engine/domain/payload_codec.h"
#include "engine/evidence/evidence_import.h"
#include "events/master_key.h"
#include "events/note_signer.h"
#include "replay/restore.h"

namespace kakitome::cli {

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: kakitome restore --from BACKUP_DIR --to DATA --master-key FILE "
                 "--ledger-key FILE [--pubkey KEY|FILE]\n"
                 "                        [--backup ID] [--known-checkpoint FILE]... "
                 "[--erasure-journal FILE]...\n"
                 "                        [--accept-rollback --reason TEXT] [--config FILE]\n");
    return kExitBadInput;
}

void say(const nlohmann::json& line) {
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
}

// Applies one journaled erasure through the path that made it, so the restored log says so.
Status erase_again(Services& services, const std::string& key, std::uint32_t backup_id) {
    const std::string reason =
        "erased after backup " + std::to_string(backup_id) + " was taken; applied again on restore";
    constexpr std::string_view kEvidence = "evidence-";
    if (key.rfind(kEvidence, 0) == 0) {
        auto erased = evidence::erase_evidence(services.store(), services.vault(),
                                               key.substr(kEvidence.size()), reason, "restore");
        return erased.is_ok() ? Status::ok() : erased.status();
    }
    if (key.rfind("message-", 0) == 0) return services.vault().destroy(key);
    workflow::CommandRequest request;
    request.application = key;
    request.command = "erase";
    request.actor = "restore";
    request.arguments_json = nlohmann::json{{"reason", reason}}.dump();
    auto erased = services.commands().execute(request);
    if (!erased.is_ok() && erased.status().reason() == "legal_hold") {
        // Held in the backup, erased after it: nothing erases a held application, so the hold
        // was released in the history the restore lost. Record that, then the erasure.
        workflow::CommandRequest release = request;
        release.command = "release_hold";
        release.arguments_json = nlohmann::json{
            {"reason",
             "released after backup " + std::to_string(backup_id) +
                 " was taken (it was erased later); applied again on "
                 "restore"}}.dump();
        auto released = services.commands().execute(release);
        if (!released.is_ok()) return released.status();
        erased = services.commands().execute(request);
    }
    return erased.is_ok() ? Status::ok() : erased.status();
}

// What the configured witnesses said of the restored log's head.
struct WitnessAnswers {
    std::string forked;                         // a witness that saw another history
    std::optional<KnownCheckpointCheck> ahead;  // the largest tree a witness holds beyond it
};

// Each witness is shown a checkpoint of the restored head (C2SP tlog-witness): one that holds a
// larger tree names its size (a rollback, its root unknown here); one that holds another tree
// refuses (a fork). One that cannot be reached, or refuses for another reason (it does not know
// this log's key, its answer does not verify), is reported and changes nothing: serve keeps
// asking it, and refuses loudly, once it answers.
WitnessAnswers ask_witnesses(witness::CheckpointWitnessing& witnessing, const Checkpoint& at_head) {
    const auto statuses = witnessing.probe(at_head, [](const std::string& line) {
        std::fprintf(stderr, "kakitome restore: %s\n", line.c_str());
    });
    WitnessAnswers answers;
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& status : statuses) {
        const char* verdict = status.problem.empty() ? "consistent"
                              : status.ahead_size    ? "ahead_of_restore"
                              : status.forked        ? "forked"
                              : status.refused       ? "refused"
                                                     : "unreachable";
        nlohmann::json line{{"name", status.name},
                            {"verdict", verdict},
                            {"size", status.ahead_size ? status.ahead_size : status.cosigned_size}};
        if (!status.problem.empty()) line["problem"] = status.problem;
        listed.push_back(std::move(line));
        if (status.forked && answers.forked.empty()) answers.forked = status.name;
        if (status.ahead_size && (!answers.ahead || status.ahead_size > answers.ahead->size))
            answers.ahead = KnownCheckpointCheck{status.ahead_size, "",
                                                 KnownCheckpointCheck::Verdict::ahead_of_restore};
    }
    say({{"witnesses", listed}});
    return answers;
}

}  // namespace

int run_restore(const Words& words) {
    auto arguments = Arguments::parse(
        words,
        {"from", "to", "master-key", "ledger-key", "pubkey", "backup", "known-checkpoint",
         "erasure-journal", "reason", "config", "reserve-free-bytes"},
        {"accept-rollback"});
    if (!arguments.is_ok() || !arguments->positionals().empty() || !arguments->has("to") ||
        !arguments->has("master-key") ||
        arguments->has("accept-rollback") != arguments->has("reason"))
        return usage();
    auto settings = settings_and_clock_or_report("restore", arguments.value());
    if (!settings) return kExitBadInput;
    const std::filesystem::path target = *arguments->value("to");
    const std::string from = arguments->value_or("from", settings->first.backup.directory);
    if (from.empty()) return usage();
    if (std::filesystem::exists(target)) {
        std::fprintf(stderr, "kakitome restore: %s exists; restore into a new directory\n",
                     target.c_str());
        return kExitBadInput;
    }
    const std::filesystem::path master_key_file = *arguments->value("master-key");
    if (!std::filesystem::exists(master_key_file)) {
        std::fprintf(stderr,
                     "kakitome restore: no master key at %s: without the key the backup was "
                     "made with, no personal data in it can be read\n",
                     master_key_file.c_str());
        return kExitBadInput;
    }
    auto master_key = load_or_create_master_key(master_key_file);
    if (!master_key.is_ok()) {
        std::fprintf(stderr, "kakitome restore: %s\n", master_key.status().to_string().c_str());
        return kExitBadInput;
    }
    // The ledger key the backup was signed with: never created here (a new key could not
    // open the backup's checkpoints, and would sign a history nobody can check).
    const std::string ledger_key_file = arguments->value_or("ledger-key", "");
    if (ledger_key_file.empty() || !std::filesystem::exists(ledger_key_file)) {
        std::fprintf(stderr,
                     "kakitome restore: give --ledger-key FILE, the ledger's signing key (it is "
                     "never in a backup); the restore is proved against its verifier key\n");
        return kExitBadInput;
    }
    auto signer = NoteSigner::load_or_create(ledger_key_file, kLedgerOrigin);
    if (!signer.is_ok()) {
        std::fprintf(stderr, "kakitome restore: %s\n", signer.status().to_string().c_str());
        return kExitBadInput;
    }
    const std::string verifier_key = signer->verifier_key();
    if (auto given = arguments->value("pubkey");
        given && read_verifier_key(*given) != verifier_key) {
        std::fprintf(stderr,
                     "kakitome restore: --ledger-key is not the key of --pubkey; give the key "
                     "the backup's checkpoints were signed with\n");
        return kExitBadInput;
    }

    RestoreRequest request{.backup_directory = from,
                           .staging = target.string() + ".restoring",
                           .origin = kLedgerOrigin,
                           .verifier_key = verifier_key,
                           .master_key = master_key.value()};
    if (auto id = arguments->value("backup")) {
        try {
            request.backup_id = static_cast<std::uint32_t>(std::stoul(*id));
        } catch (const std::exception&) {
            return usage();
        }
    }
    for (const auto& file : arguments->values("known-checkpoint")) {
        auto note = read_whole_file(file, 1 << 20);
        if (!note.is_ok()) {
            std::fprintf(stderr, "kakitome restore: %s\n", note.status().to_string().c_str());
            return kExitBadInput;
        }
        request.known_checkpoints.push_back(note.value());
    }
    for (const auto& file : arguments->values("erasure-journal"))
        request.erasure_journals.push_back(file);
    std::error_code ignored;
    std::filesystem::remove_all(request.staging, ignored);  // a restore that crashed before

    auto proof = restore_and_prove(request);
    if (!proof.is_ok()) {
        std::fprintf(stderr, "kakitome restore: %s\n", proof.status().to_string().c_str());
        const auto code = proof.status().code();
        return code == StatusCode::corruption         ? kExitCheckFailed
               : code == StatusCode::invalid_argument ? kExitBadInput
                                                      : kExitStoreError;
    }
    nlohmann::json known = nlohmann::json::array();
    for (const auto& check : proof->known)
        known.push_back({{"size", check.size}, {"verdict", verdict_name(check.verdict)}});
    say({{"backup", proof->backup.id},
         {"verified",
          {{"events", proof->verified.events_checked},
           {"head", proof->verified.head.value},
           {"head_hash", proof->verified.head_hash_hex},
           {"tree_nodes", proof->verified.tree_nodes_checked},
           {"checkpoints", proof->verified.checkpoints_checked},
           {"signatures", proof->verified.signatures_checked}}},
         {"checkpoint_size", proof->checkpoint_size},
         {"known_checkpoints", known},
         {"erased_after_backup", proof->erased_after_backup.size()}});
    std::unique_ptr<Services> services;
    const auto discard = [&] {
        services.reset();
        std::filesystem::remove_all(request.staging, ignored);
    };
    if (proof->forked()) {
        discard();
        std::fprintf(stderr,
                     "kakitome restore: refused: a known checkpoint has another root at a size "
                     "this backup holds: the backup is of another history (a fork)\n");
        return kExitCheckFailed;
    }
    // Everything the restore writes (erasures applied again, its events, a new checkpoint) is
    // written in the staging directory; only a complete restore is renamed into place.
    const auto fail = [&](const std::string& what, const Status& status) {
        std::fprintf(stderr, "kakitome restore: %s: %s\n", what.c_str(),
                     status.to_string().c_str());
        discard();
        return kExitStoreError;
    };
    services =
        open_services_or_report("restore", arguments.value(), *settings, [&](ServiceOptions& o) {
            o.data_directory = request.staging;
            o.master_key_file = master_key_file;
            o.ledger_key_file = ledger_key_file;
            // The backups' journal is read, not grown.
            o.settings.backup.directory.clear();
        });
    if (!services) {
        discard();
        return kExitStoreError;
    }
    // The configured witnesses are asked too: an operator who kept no checkpoint note still
    // learns that the world saw more of this log than the backup holds.
    auto rollback = proof->rollback();
    if (services->witnessing().configured() && proof->verified.head.value > 0) {
        // The witnesses are shown the head, not the backup's latest checkpoint: a backup is
        // often taken between two checkpoints, and a witness that cosigned the head since holds
        // nothing the backup lacks.
        auto at_head = services->ledger().cut_checkpoint();
        if (!at_head.is_ok()) return fail("signing a checkpoint of the head", at_head.status());
        const WitnessAnswers asked = ask_witnesses(services->witnessing(), at_head.value());
        if (!asked.forked.empty()) {
            discard();
            std::fprintf(stderr,
                         "kakitome restore: refused: witness %s has seen another history of "
                         "this log (a fork)\n",
                         asked.forked.c_str());
            return kExitCheckFailed;
        }
        if (asked.ahead && (!rollback || asked.ahead->size > rollback->size))
            rollback = asked.ahead;
    }
    if (rollback && !arguments->has("accept-rollback")) {
        discard();
        std::fprintf(stderr,
                     "kakitome restore: refused: the backup holds %llu events but a checkpoint "
                     "of %llu was seen outside; restoring it loses events the world saw. Give "
                     "--accept-rollback --reason TEXT to restore it anyway (recorded).\n",
                     static_cast<unsigned long long>(proof->verified.head.value),
                     static_cast<unsigned long long>(rollback->size));
        return kExitCheckFailed;
    }
    std::vector<std::string> reapplied;
    std::uint64_t head = 0, checkpoint_size = 0, timers_failing = 0;
    {
        for (const auto& key : proof->erased_after_backup) {
            const Status erased = erase_again(*services, key, proof->backup.id);
            if (!erased.is_ok()) return fail("applying the erasure of " + key, erased);
            reapplied.push_back(key);
        }
        std::vector<NewEvent> events;
        if (rollback) {
            events.push_back(domain::new_event(
                domain::LedgerRolledBack{
                    static_cast<std::int64_t>(rollback->size), rollback->root_base64,
                    static_cast<std::int64_t>(proof->checkpoint_size), *arguments->value("reason")},
                {.actor = "restore"}));
        }
        events.push_back(domain::new_event(
            domain::BackupRestored{static_cast<std::int64_t>(proof->backup.id),
                                   proof->backup.created_at_seconds,
                                   static_cast<std::int64_t>(proof->verified.head.value),
                                   static_cast<std::int64_t>(proof->checkpoint_size),
                                   static_cast<std::int64_t>(proof->known.size()), reapplied},
            {.actor = "restore"}));
        auto appended = services->store().append(std::string(domain::kOperationsStream),
                                                 ExpectedVersion::any(), std::move(events));
        if (!appended.is_ok()) return fail("recording the restore", appended.status());
        auto pass = services->worker().run_pass();
        if (!pass.is_ok()) return fail("rebuilding the projections", pass.status());
        timers_failing = pass->timers_failed.size();
        for (const auto& failure : pass->timers_failed)
            say({{"timer_failing", failure.application}, {"error", failure.status.to_string()}});
        auto checkpoint = services->ledger().cut_checkpoint();
        if (!checkpoint.is_ok()) return fail("signing a checkpoint", checkpoint.status());
        head = services->store().head().value;
        checkpoint_size = checkpoint->size;
        services.reset();
    }
    std::error_code renamed;
    std::filesystem::rename(request.staging, target, renamed);
    if (renamed)
        return fail("moving the restore into " + target.string(),
                    Status::io_error(renamed.message()));
    say({{"restored", target.string()},
         {"erasures_reapplied", reapplied},
         {"rollback_accepted", rollback.has_value()},
         {"head", head},
         {"checkpoint_size", checkpoint_size},
         {"timers_failing", timers_failing}});
    return kExitOk;
}

}  // namespace kakitome::cli
