// `kakitome bench seed-queue`: fills a data directory with N synthetic applications for the
// console's benchmark (bench/console_benchmark.py): each one's intake events from the form mail
// to validation (one in ten rejected, one in twenty password mismatches, one in five assigned),
// 100 applications per transaction. Each form's organisation is sealed under the application's
// own data key, as intake does, so organisation search has real names to open: one name in a
// thousand is "医療法人社団 さくら会 さくら病院 <n>", the rest are drawn from a few hundred others.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "events/base/status.h"
#include "events/data_key_vault.h"
#include "events/event_store.h"

namespace kakitome::bench {

Status seed_queue(EventStore& store, DataKeyVault& vault, std::uint64_t applications,
                  const std::function<void(const std::string&)>& progress);

}  // namespace kakitome::bench
