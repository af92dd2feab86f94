// The intake CPU budget, measured: the CPU one mail can cost intake in the worst case the limits
// allow (a sender with the most forms waiting, each at the highest accepted spinCount, then a
// wrong password: one key derivation per waiting form), against a typical application (a form
// as Excel encrypts it, spinCount 100,000, and its password) in the same run, plus the cost of
// refusing a form whose spinCount is over the bound (9,999,999: 6.4 s per try before the bound).
// CPU is the ingesting thread's own (getrusage RUSAGE_THREAD), so a busy machine changes it
// little.
#pragma once

#include <string>

#include "events/base/status.h"

namespace kakitome::bench {

struct IntakeBenchmarkConfig {
    std::string form_file;  // a plain .xlsx form to encrypt
    std::string scratch = "var/bench-intake";
};

// One JSON object with every figure and the ratios.
Result<std::string> run_intake_benchmark(const IntakeBenchmarkConfig& config);

}  // namespace kakitome::bench
