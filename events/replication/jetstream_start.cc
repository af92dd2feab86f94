#include "events/replication/jetstream_start.h"

#include <thread>

#include "events/base/operator_log.h"

namespace kakitome::replication {

Status wait_for_jetstream(const std::string& what, const std::function<Status()>& attempt,
                          std::chrono::milliseconds patience) {
    using Clock = std::chrono::steady_clock;
    const auto give_up = Clock::now() + patience;
    auto next_warning = Clock::now();
    for (;;) {
        Status answer = attempt();
        if (answer.code() != StatusCode::unavailable || Clock::now() >= give_up) return answer;
        if (Clock::now() >= next_warning) {
            logging::write(logging::Level::warning, "waiting for NATS JetStream to answer",
                           {{"while", what}, {"why", answer.to_string()}});
            next_warning = Clock::now() + std::chrono::seconds(5);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace kakitome::replication
