// `kakitome bench seed-queue`: fills a data directory with N synthetic applications for the
// console's benchmark (bench/console_benchmark.py): each one's intake events from the form mail
// to validation (one in ten rejected, one in twenty password mismatches, one in five assigned),
// 100 applications per transaction. No personal data is sealed (the queue shows none), so the
// store is built in seconds rather than one data-key write per application.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events/base/status.h"
#include "events/event_store.h"

namespace kakitome::bench {

Status seed_queue(EventStore& store, std::uint64_t applications,
                  const std::function<void(const std::string&)>& progress);

}  // namespace kakitome::bench
