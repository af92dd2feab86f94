// The peer most teams would pick instead of kakitome: PostgreSQL as an event store (the
// "events table" pattern: one row per event, unique (stream_id, version) as the optimistic
// concurrency check, synchronous_commit on). The benchmark starts its own cluster from Debian's
// `postgresql` in a temporary directory, on a Unix socket only, and stops it afterwards; nothing
// is left behind and no running PostgreSQL is touched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "events/base/status.h"

namespace kakitome::bench {

struct PostgresEventInsert {
    std::string stream_id;
    std::uint64_t version;  // the expected version + 1: a second writer of it is refused
    std::string type;
    std::string data_json;
};

// A temporary cluster. start() says why it cannot (no PostgreSQL installed, initdb refused):
// the caller reports the baseline as skipped, it is not an error of kakitome.
class PostgresCluster {
  public:
    // In a fresh directory under the system's temporary directory, so that the `postgres` user
    // can reach it: as root the cluster runs as that user (initdb refuses root) through runuser.
    // Configuration is PostgreSQL's default (fsync and synchronous_commit on) except that it
    // listens on a Unix socket in that directory only.
    static Result<std::unique_ptr<PostgresCluster>> start();
    ~PostgresCluster();  // stops the server (fast shutdown) and removes the directory
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    // A libpq connection string for the socket.
    const std::string& connection_string() const { return connection_; }
    const std::string& version() const { return version_; }

  private:
    PostgresCluster() = default;
    std::filesystem::path directory_;
    std::string run_as_;  // "runuser -u postgres -- " as root, else empty
    std::string bin_;     // the directory of initdb and pg_ctl
    std::string connection_;
    std::string version_;
    bool running_ = false;
};

// One connection to the cluster with the events table's statements prepared.
class PostgresEventTable {
  public:
    // `durable`: every commit waits for its WAL flush (synchronous_commit on, the default, as
    // kakitome's sync mode); otherwise the session sets synchronous_commit off, PostgreSQL's
    // counterpart of kakitome's buffered mode (a crash may lose the last commits, never
    // half of one).
    static Result<std::unique_ptr<PostgresEventTable>> connect(const PostgresCluster& cluster,
                                                               bool durable = true);
    ~PostgresEventTable();
    PostgresEventTable(const PostgresEventTable&) = delete;
    PostgresEventTable& operator=(const PostgresEventTable&) = delete;

    // (Re)creates the table and its indexes, empty.
    Status create_table();
    // One transaction: the events of one append, one multi-row INSERT. A version already
    // taken fails with reason wrong_expected_version, as kakitome's append does.
    Status append(const std::vector<PostgresEventInsert>& events);
    // A catch-up read of every event in seq order (COPY … TO STDOUT, the fastest way out of
    // PostgreSQL); returns how many rows came back.
    Result<std::uint64_t> read_all_in_order();

  private:
    explicit PostgresEventTable(void* connection) : connection_(connection) {}
    void* connection_;                           // PGconn*, kept out of this header
    std::set<std::size_t> prepared_row_counts_;  // the multi-row inserts prepared so far
};

}  // namespace kakitome::bench
