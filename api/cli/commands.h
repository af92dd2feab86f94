// Subcommands of the kakitome binary. Each takes the words after its name and returns an exit
// code from arguments.h; each prints its own usage on bad arguments.
#pragma once

#include <string>
#include <vector>

namespace kakitome::cli {

using Words = std::vector<std::string>;

int run_verify(const Words& words);
int run_events(const Words& words);
int run_bench(const Words& words);
int run_decrypt(const Words& words);
int run_encrypt(const Words& words);
int run_form(const Words& words);
int run_ingest(const Words& words);
int run_serve(const Words& words);
int run_queue(const Words& words);
int run_command(const Words& words);
int run_process(const Words& words);
int run_download(const Words& words);
int run_replay(const Words& words);
int run_token(const Words& words);
int run_ledger(const Words& words);
int run_export(const Words& words);
int run_trail(const Words& words);
int run_incident(const Words& words);
int run_backup(const Words& words);
int run_restore(const Words& words);
int run_witness(const Words& words);
int run_retention(const Words& words);
int run_upgrade_tables(const Words& words);

}  // namespace kakitome::cli
