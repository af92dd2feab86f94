// Waiting for JetStream at a node's start. JetStream answers only once its servers have elected
// a meta leader, seconds after they start, so a node started together with its cluster (a whole
// site rebooting) would otherwise exit at its first request ("opening the lease bucket: Timeout").
//
// wait_for_jetstream runs `attempt` until it answers anything but unavailable, or until
// `patience` has passed since the first try, and returns that last answer. It waits 500 ms
// between tries and writes a warning to the operator's log every 5 s naming `what` and the
// reason, so a node that waits says why.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "events/base/status.h"

namespace kakitome::replication {

// Longer than an election takes; short enough that a cluster that is really gone is reported
// (and systemd's Restart= takes over) within two minutes.
inline constexpr std::chrono::milliseconds kJetStreamStartPatience{120000};

Status wait_for_jetstream(const std::string& what, const std::function<Status()>& attempt,
                          std::chrono::milliseconds patience = kJetStreamStartPatience);

// The same for an `open` that answers a Result: its last answer.
template <typename Open>
auto open_when_jetstream_answers(const std::string& what, Open open) -> decltype(open()) {
    decltype(open()) opened = Status::unavailable("not tried");
    // The status it answers is the last `opened`'s own.
    static_cast<void>(wait_for_jetstream(what, [&] {
        opened = open();
        return opened.is_ok() ? Status::ok() : opened.status();
    }));
    return opened;
}

}  // namespace kakitome::replication
