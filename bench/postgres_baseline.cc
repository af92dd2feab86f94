#include "bench/postgres_baseline.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace kakitome::bench {

namespace {

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

// Runs a shell command; its output goes to `log`, which the error names.
Status run(const std::string& command, const std::filesystem::path& log, const std::string& what) {
    const std::string line = command + " >>" + quoted(log.string()) + " 2>&1";
    if (std::system(line.c_str()) != 0) {
        return Status::unavailable(what + " failed (see " + log.string() + ")");
    }
    return Status::ok();
}

// The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin).
std::string find_server_binaries() {
    std::string best;
    int best_major = -1;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
        const auto bin = entry.path() / "bin";
        if (!std::filesystem::exists(bin / "initdb") || !std::filesystem::exists(bin / "pg_ctl"))
            continue;
        const int major = std::atoi(entry.path().filename().c_str());
        if (major > best_major) {
            best_major = major;
            best = bin.string();
        }
    }
    return best;
}

PGconn* as_connection(void* connection) {
    return static_cast<PGconn*>(connection);
}

Status from_result(PGresult* result, ExecStatusType expected, const std::string& what) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == expected) return Status::ok();
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string message = what + ": " + PQresultErrorMessage(result);
    // 23505 unique_violation: the (stream_id, version) was taken by another append.
    if (state != nullptr && std::string_view(state) == "23505")
        return Status::failed_precondition(message).with_reason("wrong_expected_version");
    return Status::internal(message);
}

}  // namespace

Result<std::unique_ptr<PostgresCluster>> PostgresCluster::start() {
    std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
    cluster->bin_ = find_server_binaries();
    if (cluster->bin_.empty()) {
        return Status::not_found(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package "
            "postgresql)");
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kakitome-postgres-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
        return Status::unavailable("cannot create a temporary directory for PostgreSQL");
    cluster->directory_ = pattern;
    if (geteuid() == 0) {
        const passwd* postgres = getpwnam("postgres");
        if (postgres == nullptr)
            return Status::not_found("running as root and there is no postgres user to run as");
        if (chown(pattern.c_str(), postgres->pw_uid, postgres->pw_gid) != 0)
            return Status::unavailable("cannot hand " + pattern + " to the postgres user");
        cluster->run_as_ = "runuser -u postgres -- ";
    }
    const auto data = cluster->directory_ / "data";
    const auto log = cluster->directory_ / "setup.log";
    KAKITOME_RETURN_IF_ERROR(run(cluster->run_as_ + quoted(cluster->bin_ + "/initdb") + " -D " +
                                     quoted(data.string()) +
                                     " -U bench -A trust -E UTF8 --locale=C --no-sync",
                                 log, "initdb"));
    const std::string options = "-c listen_addresses='' -k " + cluster->directory_.string();
    KAKITOME_RETURN_IF_ERROR(run(cluster->run_as_ + quoted(cluster->bin_ + "/pg_ctl") + " -D " +
                                     quoted(data.string()) + " -l " +
                                     quoted((cluster->directory_ / "server.log").string()) +
                                     " -w -o " + quoted(options) + " start",
                                 log, "pg_ctl start"));
    cluster->running_ = true;
    cluster->connection_ = "host=" + cluster->directory_.string() + " user=bench dbname=postgres";
    PGconn* probe = PQconnectdb(cluster->connection_.c_str());
    if (PQstatus(probe) == CONNECTION_OK) {
        const char* version = PQparameterStatus(probe, "server_version");
        cluster->version_ = version != nullptr ? version : "";
    }
    const bool connected = PQstatus(probe) == CONNECTION_OK;
    const std::string error = PQerrorMessage(probe);
    PQfinish(probe);
    if (!connected) return Status::unavailable("cannot connect to the new cluster: " + error);
    return cluster;
}

PostgresCluster::~PostgresCluster() {
    if (running_) {
        const auto log = directory_ / "setup.log";
        (void)run(run_as_ + quoted(bin_ + "/pg_ctl") + " -D " +
                      quoted((directory_ / "data").string()) + " -m fast -w stop",
                  log, "pg_ctl stop");
    }
    std::error_code ignored;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
}

Result<std::unique_ptr<PostgresEventTable>> PostgresEventTable::connect(
    const PostgresCluster& cluster, bool durable) {
    PGconn* connection = PQconnectdb(cluster.connection_string().c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
        const std::string error = PQerrorMessage(connection);
        PQfinish(connection);
        return Status::unavailable("connecting to PostgreSQL: " + error);
    }
    // DROP TABLE IF EXISTS on a fresh cluster would print a NOTICE over the progress lines.
    PQsetNoticeProcessor(
        connection, [](void*, const char*) {}, nullptr);
    std::unique_ptr<PostgresEventTable> table(new PostgresEventTable(connection));
    if (!durable) {
        PGresult* result = PQexec(connection, "SET synchronous_commit = off");
        Status set = from_result(result, PGRES_COMMAND_OK, "setting synchronous_commit");
        PQclear(result);
        KAKITOME_RETURN_IF_ERROR(set);
    }
    return table;
}

PostgresEventTable::~PostgresEventTable() {
    PQfinish(as_connection(connection_));
}

Status PostgresEventTable::create_table() {
    PGresult* result = PQexec(as_connection(connection_),
                              "DROP TABLE IF EXISTS events;"
                              "CREATE TABLE events ("
                              " seq bigserial PRIMARY KEY,"
                              " stream_id text NOT NULL,"
                              " version bigint NOT NULL,"
                              " type text NOT NULL,"
                              " data jsonb NOT NULL,"
                              " created_at timestamptz NOT NULL DEFAULT now(),"
                              " UNIQUE (stream_id, version))");
    Status status = from_result(result, PGRES_COMMAND_OK, "creating the events table");
    PQclear(result);
    return status;
}

Status PostgresEventTable::append(const std::vector<PostgresEventInsert>& events) {
    if (events.empty()) return Status::ok();
    PGconn* connection = as_connection(connection_);
    const std::string name = "append_" + std::to_string(events.size());
    if (!prepared_row_counts_.contains(events.size())) {
        std::string sql = "INSERT INTO events (stream_id, version, type, data) VALUES ";
        for (std::size_t row = 0; row < events.size(); ++row) {
            const std::size_t first = row * 4 + 1;
            sql += (row ? ",(" : "(") + std::string("$") + std::to_string(first) + ",$" +
                   std::to_string(first + 1) + ",$" + std::to_string(first + 2) + ",$" +
                   std::to_string(first + 3) + "::jsonb)";
        }
        PGresult* prepared = PQprepare(connection, name.c_str(), sql.c_str(), 0, nullptr);
        Status status = from_result(prepared, PGRES_COMMAND_OK, "preparing the insert");
        PQclear(prepared);
        KAKITOME_RETURN_IF_ERROR(status);
        prepared_row_counts_.insert(events.size());
    }
    std::vector<std::string> versions;
    versions.reserve(events.size());
    std::vector<const char*> values;
    values.reserve(events.size() * 4);
    for (const auto& event : events) {
        versions.push_back(std::to_string(event.version));
        values.push_back(event.stream_id.c_str());
        values.push_back(versions.back().c_str());
        values.push_back(event.type.c_str());
        values.push_back(event.data_json.c_str());
    }
    PGresult* result = PQexecPrepared(connection, name.c_str(), static_cast<int>(values.size()),
                                      values.data(), nullptr, nullptr, 0);
    Status status = from_result(result, PGRES_COMMAND_OK, "appending");
    PQclear(result);
    return status;
}

Result<std::uint64_t> PostgresEventTable::read_all_in_order() {
    PGconn* connection = as_connection(connection_);
    PGresult* result = PQexec(connection,
                              "COPY (SELECT seq, stream_id, version, type, data, created_at FROM "
                              "events ORDER BY seq) TO STDOUT");
    Status started = from_result(result, PGRES_COPY_OUT, "reading the events");
    PQclear(result);
    KAKITOME_RETURN_IF_ERROR(started);
    std::uint64_t rows = 0;
    char* row = nullptr;
    int size = 0;
    while ((size = PQgetCopyData(connection, &row, 0)) > 0) {
        ++rows;
        PQfreemem(row);
    }
    result = PQgetResult(connection);
    Status finished =
        size == -1
            ? from_result(result, PGRES_COMMAND_OK, "reading the events")
            : Status::internal(std::string("reading the events: ") + PQerrorMessage(connection));
    PQclear(result);
    while ((result = PQgetResult(connection)) != nullptr) PQclear(result);
    KAKITOME_RETURN_IF_ERROR(finished);
    return rows;
}

}  // namespace kakitome::bench
