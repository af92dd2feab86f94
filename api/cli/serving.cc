#include "api/cli/serving.h"

#include <pthread.h>

namespace kakitome::cli {

bool parse_listen(const std::string& listen, http::HttpServerOptions& options) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return false;
    try {
        const int port = std::stoi(listen.substr(colon + 1));
        if (port < 0 || port > 65535) return false;
        options.address = listen.substr(0, colon);
        options.port = static_cast<unsigned short>(port);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

}  // namespace kakitome::cli
