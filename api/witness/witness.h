// A witness (C2SP tlog-witness): an independent party that cosigns a log's checkpoints only if
// each is consistent with the last one it cosigned, so a log cannot show one history to some
// and another to others (a split view) or roll back without being caught.
//
// add_checkpoint() is the `POST /add-checkpoint` endpoint. The body is "old <size>\n", the
// RFC 9162 consistency proof from that size (one base64 hash per line), a blank line, and the
// checkpoint note. Answers: 200 with the cosignature line (cosignature/v1); 404 for a log it does
// not witness; 403 when the note carries no valid signature by the log's key; 400 for a
// malformed body or an old size above the new one; 409 (text/x.tlog.size, the size it last
// cosigned) when old is not that size, or when the same size comes with another root (a fork);
// 422 when the proof does not prove the new tree an extension of the one it cosigned.
// The check and the new state are one step under a lock, and the state (one file per log, the
// last cosigned checkpoint) is on disk (fsynced, renamed into place) before the answer goes out,
// so a restarted witness keeps refusing what it refused before. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http/http_types.h"
#include "events/base/status.h"
#include "events/cosignature.h"

namespace kakitome::witness {

struct WitnessedLog {
    std::string origin;        // the checkpoint's first line
    std::string verifier_key;  // the log's note key (Ed25519, type 0x01)
};

class Witness {
  public:
    static Result<std::unique_ptr<Witness>> open(std::filesystem::path state_directory,
                                                 Cosigner cosigner, std::vector<WitnessedLog> logs,
                                                 std::function<std::uint64_t()> clock_seconds);
    http::HttpResponse add_checkpoint(const std::string& body);
    const Cosigner& cosigner() const { return cosigner_; }

  private:
    Witness(std::filesystem::path state_directory, Cosigner cosigner,
            std::vector<WitnessedLog> logs, std::function<std::uint64_t()> clock_seconds);
    std::filesystem::path state_file(const std::string& origin) const;
    std::filesystem::path state_directory_;
    Cosigner cosigner_;
    std::vector<WitnessedLog> logs_;
    std::function<std::uint64_t()> clock_seconds_;
    std::mutex mutex_;
};

}  // namespace kakitome::witness
