// The decryption benchmark: kakitome's agile decryption of one form against, in the same run,
// (a) the hashing limit, 100,000 sequential SHA-512 digests as `openssl speed -evp sha512`
//     measures them, (b) msoffcrypto-tool as a whole process, (c) msoffcrypto-tool in-process
//     through its Python API, and (d) a batch of forms decrypted on every core.
#pragma once

#include <string>

#include "events/base/status.h"

namespace kakitome::bench {

struct DecryptBenchmarkConfig {
    std::string file;
    std::string password;
    int runs = 10;
    int batch = 100;
    int threads = 0;  // 0: one per core
    bool compare_msoffcrypto = true;
};

// One JSON object with every figure and the ratios.
Result<std::string> run_decrypt_benchmark(const DecryptBenchmarkConfig& config);

}  // namespace kakitome::bench
