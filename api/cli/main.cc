// kakitome: one binary, one subcommand per task (docs/design.md §6, docs/cli.md).
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "api/cli/arguments.h"
#include "api/cli/commands.h"

namespace {

struct Subcommand {
    const char* name;
    int (*run)(const kakitome::cli::Words&);
    const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"verify", kakitome::cli::run_verify, "walk the hash chain; exit 0 intact, 1 tampered"},
    {"events", kakitome::cli::run_events, "print stored events as JSON lines"},
    {"serve", kakitome::cli::run_serve,
     "run the REST API, the workflow worker and (with --imap) the IMAP poller"},
    {"ledger", kakitome::cli::run_ledger,
     "signed checkpoints, the verifier key, inclusion and consistency proofs"},
    {"export", kakitome::cli::run_export,
     "export events and signed checkpoints for an auditor (JSON lines)"},
    {"trail", kakitome::cli::run_trail, "one application's events, each with its inclusion proof"},
    {"incident", kakitome::cli::run_incident,
     "who saw what: disclosures by application or principal, the incident review"},
    {"backup", kakitome::cli::run_backup,
     "back the data up (consistent, incremental, checksummed); list or verify backups"},
    {"restore", kakitome::cli::run_restore,
     "restore a backup and prove it: chain, tree, checkpoints, known checkpoints, erasures"},
    {"retention", kakitome::cli::run_retention,
     "erase personal data the retention policy says is due (--dry-run: what and why)"},
    {"upgrade-tables", kakitome::cli::run_upgrade_tables,
     "rewrite the log's table files an older kakitome wrote in today's format (--dry-run: count)"},
    {"witness", kakitome::cli::run_witness,
     "run an independent witness that cosigns consistent checkpoints (C2SP tlog-witness)"},
    {"token", kakitome::cli::run_token, "create an API principal and print its bearer token once"},
    {"ingest", kakitome::cli::run_ingest,
     "take mail files or a Maildir in; one JSON line per mail"},
    {"queue", kakitome::cli::run_queue, "print the work queue with SLA due dates"},
    {"command", kakitome::cli::run_command,
     "run a workflow command on an application (approve, reject, ...)"},
    {"process", kakitome::cli::run_process, "fire timers, send queued mail, update projections"},
    {"download", kakitome::cli::run_download,
     "what GET /d/<token> does: log the download, presign the video"},
    {"replay", kakitome::cli::run_replay,
     "rebuild a projection and compare it with the stored one"},
    {"decrypt", kakitome::cli::run_decrypt, "decrypt a password-protected Office file"},
    {"encrypt", kakitome::cli::run_encrypt,
     "encrypt an Office file with a password (agile or --standard)"},
    {"form", kakitome::cli::run_form, "print an application form's fields and validation as JSON"},
    {"bench", kakitome::cli::run_bench, "benchmarks: append, decrypt"},
};

// --help on stdout (and the man page is made from it, scripts/package/package.cmake); a
// mistake's usage on stderr.
void print_usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: kakitome <command> [options]\n\n"
                 "The PR-video application workflow: mails in, forms decrypted and validated, "
                 "download links out,\nevery step an event in a hash-chained, signed ledger.\n\n"
                 "commands:\n");
    for (const auto& subcommand : kSubcommands) {
        std::fprintf(out, "  %-14s %s\n", subcommand.name, subcommand.summary);
    }
    std::fprintf(out,
                 "\noptions:\n"
                 "  --help     print this list\n"
                 "  --version  print the version\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return kakitome::cli::kExitBadInput;
    }
    if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return kakitome::cli::kExitOk;
    }
    if (std::strcmp(argv[1], "--version") == 0) {
        std::printf("kakitome %s\n", KAKITOME_VERSION);
        return kakitome::cli::kExitOk;
    }
    // Everything kakitome writes (the store's files, keys, exports, blobs) is for the service
    // user alone: files 0600, directories 0700, whatever the caller's umask.
    ::umask(077);
    const std::vector<std::string> words(argv + 2, argv + argc);
    for (const auto& subcommand : kSubcommands) {
        if (std::strcmp(argv[1], subcommand.name) == 0) return subcommand.run(words);
    }
    std::fprintf(stderr, "kakitome: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return kakitome::cli::kExitBadInput;
}
