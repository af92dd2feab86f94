// What the subcommands that run a server until stopped (serve, witness) share: the listen
// address and the stop signals.
#pragma once

#include <csignal>
#include <string>

#include "api/http/http_server.h"

namespace kakitome::cli {

// "ADDRESS:PORT" into the options; false when it is not one (port 0 asks for a free one).
bool parse_listen(const std::string& listen, http::HttpServerOptions& options);

// Blocks SIGTERM and SIGINT in this thread and every thread started after it, so that the
// main thread alone takes them (sigwait on the returned set). Call before any thread starts.
sigset_t block_stop_signals();

}  // namespace kakitome::cli
