// The restore drill of docs/operations.md, run on the shipped binary the way an operator runs
// it: `kakitome serve` backs up (POST /v1/backups) in the middle of a write burst through the
// API, an application is erased after the backup, the server is killed (SIGKILL) and its data
// directory wiped. `kakitome restore` then proves the backup (chain, tree, signed checkpoint),
// refuses to go back behind a checkpoint an auditor kept unless the rollback is accepted (and
// recorded), brings back every write acknowledged before the backup, applies the erasure made
// after it again (the applicant's data stays unreadable), and its projections rebuild identical.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "binary_fixture.h"
#include "fixtures.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class BackupRestore : public BinaryTest {
  protected:
    BackupRestore() : BinaryTest("backup-restore") {}
    void SetUp() override {
        BinaryTest::SetUp();
        fs::create_directories(root_ / "keys");
        fs::permissions(root_ / "keys", fs::perms::owner_all, fs::perm_options::replace);
        fs::create_directories(root_ / "mailbox");
    }

    // Keys outside the data directory, as in production: wiping the data keeps them.
    std::string keys() const {
        return " --master-key " + (root_ / "keys" / "master.key").string() + " --ledger-key " +
               (root_ / "keys" / "ledger.key").string();
    }
    std::string data_flags() const override { return " --data " + data_.string() + keys(); }
};

TEST_F(BackupRestore, KillWipeRestoreVerifies) {
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    int code = -1;
    kakitome("ingest " + (root_ / "mailbox").string() + " --data " + data_.string() + keys(),
             &code);
    ASSERT_EQ(code, 0);
    const std::string admin = token("admin", "root-admin");
    const std::string supervisor = token("supervisor", "kanri");
    const std::string operator_token = token("operator", "sato");
    const fs::path backups = root_ / "backups";
    const int port = free_tcp_port();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> serve_flags{"--backup-dir",  backups.string(),
                                         "--backup-keep", "3",
                                         "--master-key",  (root_ / "keys" / "master.key").string(),
                                         "--ledger-key",  (root_ / "keys" / "ledger.key").string()};
    auto server = start_server(data_, port, root_ / "serve.out", serve_flags);
    ASSERT_TRUE(server);
    const json queue = json::parse(call("GET", "/v1/queue", operator_token).body);
    ASSERT_FALSE(queue["items"].empty()) << queue;
    const std::string erased = queue["items"][0]["application"];
    // Held when the backup is taken, released and erased after it: the restore must still
    // erase it (the hold it brings back was released in the history it lost).
    auto decide = [&](const std::string& command, const std::string& reason) {
        const std::string version =
            call("GET", "/v1/applications/" + erased, supervisor).header("etag");
        return call("POST", "/v1/applications/" + erased + "/commands/" + command, supervisor,
                    json{{"reason", reason}}.dump(), version);
    };
    ASSERT_EQ(decide("hold", "調査中").status, 200);

    // A burst of writes (principals, each one event) while a backup is taken.
    std::atomic<int> acknowledged{0};
    std::thread burst([&] {
        for (int i = 0; i < 120; ++i) {
            const auto reply =
                call("POST", "/v1/tokens", admin,
                     json{{"name", "burst-" + std::to_string(i)}, {"role", "auditor"}}.dump());
            if (reply.status != 201) break;
            acknowledged.fetch_add(1);
        }
    });
    while (acknowledged.load() < 40) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const int before_backup = acknowledged.load();
    const HttpReply backup = call("POST", "/v1/backups", admin);
    burst.join();
    ASSERT_EQ(backup.status, 201) << backup.body;
    EXPECT_EQ(acknowledged.load(), 120);
    const json taken = json::parse(backup.body);
    EXPECT_TRUE(taken["verified"]);
    EXPECT_GT(taken["bytes"].get<std::uint64_t>(), 0u);
    const json listed = json::parse(call("GET", "/v1/backups", admin).body);
    ASSERT_EQ(listed["backups"].size(), 1u) << listed;
    const std::string metrics = call("GET", "/metrics", admin).body;
    EXPECT_NE(metrics.find("kakitome_backup_last_timestamp_seconds " +
                           std::to_string(taken["created_at"].get<std::int64_t>())),
              std::string::npos)
        << metrics;

    // After the backup: the application is erased.
    ASSERT_EQ(decide("release_hold", "調査終了").status, 200);
    const HttpReply erase = decide("erase", "本人からの削除依頼");
    ASSERT_EQ(erase.status, 200) << erase.body;
    server->signal(SIGKILL);

    // An auditor's copy of the newest checkpoint, then the disk is lost.
    const std::string ledger_key = " --ledger-key " + (root_ / "keys" / "ledger.key").string();
    kakitome("ledger checkpoint --data " + data_.string() + ledger_key + " > " +
                 (root_ / "auditor.note").string(),
             &code);
    ASSERT_EQ(code, 0);
    kakitome("ledger pubkey --data " + data_.string() + ledger_key + " > " +
                 (root_ / "ledger.pub").string(),
             &code);
    ASSERT_EQ(code, 0);
    fs::remove_all(data_);

    const std::string restore = "restore --from " + backups.string() + " --to " + data_.string() +
                                keys() + " --known-checkpoint " + (root_ / "auditor.note").string();
    std::string out = kakitome(restore, &code);
    EXPECT_EQ(code, 1) << "going back behind the auditor's checkpoint is refused: " << out;
    EXPECT_NE(stderr_text().find("--accept-rollback"), std::string::npos);
    EXPECT_FALSE(fs::exists(data_));

    out = kakitome(restore + " --accept-rollback --reason 障害復旧", &code);
    ASSERT_EQ(code, 0) << out << stderr_text();
    std::istringstream lines(out);
    std::string proof_line, done_line;
    std::getline(lines, proof_line);
    std::getline(lines, done_line);
    const json proof = json::parse(proof_line);
    EXPECT_TRUE(proof["verified"]["signatures"]);
    EXPECT_GT(proof["checkpoint_size"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(proof["known_checkpoints"][0]["verdict"], "ahead_of_restore");
    const json done = json::parse(done_line);
    EXPECT_EQ(done["erasures_reapplied"], json::array({erased}));
    EXPECT_TRUE(done["rollback_accepted"]);

    // Every write acknowledged before the backup was asked for is there.
    const std::string principals =
        kakitome("events --stream principals --data " + data_.string(), &code);
    for (int i = 0; i < before_backup; ++i)
        EXPECT_NE(principals.find("\"burst-" + std::to_string(i) + "\""), std::string::npos) << i;
    // The restore and the accepted rollback are in the log, and the log verifies.
    const std::string operations =
        kakitome("events --stream operations --data " + data_.string(), &code);
    EXPECT_NE(operations.find("LedgerRolledBack"), std::string::npos) << operations;
    EXPECT_NE(operations.find("BackupRestored"), std::string::npos) << operations;
    const std::string verdict = kakitome(
        "verify --data " + data_.string() + " --pubkey " + (root_ / "ledger.pub").string(), &code);
    EXPECT_EQ(code, 0) << verdict;
    for (const char* projection : {"queue", "directory", "downloads", "disclosures"}) {
        kakitome("replay --projection " + std::string(projection) + " --compare --data " +
                     data_.string(),
                 &code);
        EXPECT_EQ(code, 0) << projection << " rebuilds identical";
    }

    // The erasure made after the backup holds: the applicant's data cannot be read again.
    auto again = start_server(data_, port, root_ / "serve2.out", serve_flags);
    ASSERT_TRUE(again);
    const HttpReply application = call("GET", "/v1/applications/" + erased, supervisor);
    ASSERT_EQ(application.status, 200) << application.body;
    EXPECT_EQ(json::parse(application.body)["contact"]["organization"], "[erased]")
        << application.body;
    EXPECT_EQ(again->signal(SIGTERM), 0);
}

// Defect: beside a running server `kakitome backup` could only say the directory was in use; an
// operator's cron job had to speak HTTP itself. --server has the server make the backup.
TEST_F(BackupRestore, BackupBesideARunningServerAsksTheServer) {
    const std::string admin = token("admin", "root-admin");
    const std::string operator_token = token("operator", "sato");
    const fs::path backups = root_ / "backups";
    const int port = free_tcp_port();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    auto server = start_server(
        data_, port, root_ / "serve.out",
        {"--backup-dir", backups.string(), "--master-key", (root_ / "keys" / "master.key").string(),
         "--ledger-key", (root_ / "keys" / "ledger.key").string()});
    ASSERT_TRUE(server);
    int code = -1;
    kakitome("backup" + data_flags(), &code);
    EXPECT_EQ(code, 4) << "the store is the server's";
    std::ofstream(root_ / "admin.token") << admin << "\n";
    std::ofstream(root_ / "operator.token") << operator_token << "\n";
    const std::string through = "backup --server " + base_ + " --token-file ";
    const std::string said = kakitome(through + (root_ / "admin.token").string(), &code);
    ASSERT_EQ(code, 0) << said << stderr_text();
    const json line = json::parse(said);
    EXPECT_EQ(line["backup"], 1) << line;
    EXPECT_EQ(line["verified"], true) << line;
    EXPECT_EQ(json::parse(call("GET", "/v1/backups", admin).body)["backups"].size(), 1u);
    kakitome(through + (root_ / "operator.token").string(), &code);
    EXPECT_EQ(code, 2);
    EXPECT_NE(stderr_text().find("answered 403"), std::string::npos) << stderr_text();
    kakitome(through + (root_ / "admin.token").string() + " --to " + (root_ / "x").string(), &code);
    EXPECT_EQ(code, 2) << "the server backs up into its own directory";
    kakitome("backup --server http://127.0.0.1:" + std::to_string(free_tcp_port()) +
                 " --token-file " + (root_ / "admin.token").string(),
             &code);
    EXPECT_EQ(code, 4) << "no server answers there";
    EXPECT_NE(stderr_text().find("no answer from"), std::string::npos) << stderr_text();
    EXPECT_EQ(server->signal(SIGTERM), 0);
    kakitome("backup verify --from " + backups.string(), &code);
    EXPECT_EQ(code, 0) << stderr_text();
}

// The schedule: a server with --backup-every and no backup yet makes one at once, and says so
// on stdout and in /metrics.
TEST_F(BackupRestore, TheScheduleBacksUpAServerThatHasNoBackupYet) {
    const std::string admin = token("admin", "root-admin");
    const int port = free_tcp_port();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    auto server = start_server(data_, port, root_ / "serve.out",
                               {"--backup-dir", (root_ / "backups").string(), "--backup-every",
                                "60", "--master-key", (root_ / "keys" / "master.key").string(),
                                "--ledger-key", (root_ / "keys" / "ledger.key").string()});
    ASSERT_TRUE(server);
    json listed;
    for (int i = 0; i < 100; ++i) {
        listed = json::parse(call("GET", "/v1/backups", admin).body);
        if (!listed["backups"].empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(listed["backups"].size(), 1u) << listed;
    EXPECT_EQ(listed["every_minutes"], 60);
    EXPECT_NE(server->output().find("\"backup\":1"), std::string::npos) << server->output();
    EXPECT_EQ(
        call("GET", "/metrics", admin).body.find("kakitome_backup_last_timestamp_seconds 0\n"),
        std::string::npos);
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

}  // namespace
}  // namespace kakitome::testing
