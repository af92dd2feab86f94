// Witnessed checkpoints (C2SP tlog-witness), with the shipped binary and two witness processes
// started here: the log sends each checkpoint to both and serves and exports their
// cosignatures, which `verify --export --witness` checks; a witness restarted keeps its state;
// a rolled-back store that grew a different history is refused by both witnesses, and the log
// says so (refusals in /metrics, the missing cosignatures on GET /v1/ledger/checkpoint).
#include <gtest/gtest.h>

#include "events/test_store.h"
#include "server_harness.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Witnessed : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fresh_directory("witnessed");
        data_ = root_ / "data";
        fs::create_directories(root_ / "keys");
        fs::permissions(root_ / "keys", fs::perms::owner_all, fs::perm_options::replace);
    }
    void TearDown() override {
        for (auto& process : witnesses_) process.reset();
        fs::remove_all(root_);
    }
    std::string kakitome(const std::string& words, int* exit_code = nullptr) {
        std::string out = run_command(
            std::string(KAKITOME_BINARY) + " " + words + " 2>>" + (root_ / "stderr").string(),
            exit_code);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        return out;
    }
    std::string ledger_key() const {
        return " --ledger-key " + (root_ / "keys/ledger.key").string();
    }
    std::string witness_key(char which) {
        return kakitome(std::string("witness pubkey --key ") + (root_ / "keys").string() + "/w" +
                        which + ".key --name witness-" + which + ".example");
    }
    // `log_key`: the log verifier key the witness knows (another log's, to make it refuse ours).
    std::unique_ptr<Process> start_witness(char which, int port,
                                           const std::string& log_key = "log.pub") {
        auto process = std::make_unique<Process>(
            std::vector<std::string>{
                KAKITOME_BINARY, "witness", "serve", "--key",
                (root_ / "keys" / (std::string("w") + which + ".key")).string(), "--name",
                std::string("witness-") + which + ".example", "--state",
                (root_ / (std::string("state-") + which)).string(), "--log",
                (root_ / log_key).string(), "--listen", "127.0.0.1:" + std::to_string(port)},
            root_ / (std::string("witness-") + which + ".out"));
        for (int i = 0; i < 200 && !port_accepts(port); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return process;
    }
    // Tokens are created by the admin; the checkpoint is read by the auditor.
    HttpReply call(const std::string& method, const std::string& path,
                   const std::string& body = "") {
        const std::string& bearer = method == "POST" ? admin_ : auditor_;
        return http_request(method, base_ + path,
                            {"Authorization: Bearer " + bearer, "Content-Type: application/json"},
                            body);
    }
    void add_principals(const std::string& prefix, int count) {
        for (int i = 0; i < count; ++i)
            ASSERT_EQ(call("POST", "/v1/tokens",
                           json{{"name", prefix + std::to_string(i)}, {"role", "auditor"}}.dump())
                          .status,
                      201);
    }
    bool eventually(const std::function<bool()>& condition) {
        for (int i = 0; i < 300; ++i) {
            if (condition()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    // Tokens for the admin and the auditor, the log's key for the witnesses, and two witnesses
    // started and configured (both required).
    void two_witnesses() {
        int code = -1;
        admin_ = json::parse(kakitome("token create --role admin --name root-admin --data " +
                                      data_.string() + ledger_key()))["token"];
        auditor_ = json::parse(kakitome("token create --role auditor --name kansa --data " +
                                        data_.string() + ledger_key()))["token"];
        kakitome("ledger pubkey --data " + data_.string() + ledger_key() + " > " +
                     (root_ / "log.pub").string(),
                 &code);
        ASSERT_EQ(code, 0);
        const std::string key_a = witness_key('a'), key_b = witness_key('b');
        std::ofstream(root_ / "wa.pub") << key_a << "\n";
        std::ofstream(root_ / "wb.pub") << key_b << "\n";
        port_a_ = free_tcp_port();
        port_b_ = free_tcp_port();
        witnesses_.push_back(start_witness('a', port_a_));
        witnesses_.push_back(start_witness('b', port_b_));
        const fs::path config = test_config(data_);
        json with_witnesses = json::parse(std::ifstream(config));
        with_witnesses["witnesses"] = {
            {{"url", "http://127.0.0.1:" + std::to_string(port_a_) + "/"}, {"verifier_key", key_a}},
            {{"url", "http://127.0.0.1:" + std::to_string(port_b_)}, {"verifier_key", key_b}}};
        with_witnesses["min_witnesses"] = 2;
        std::ofstream(config) << with_witnesses.dump(2);
    }
    // True once the served checkpoint is of `size` and both witnesses cosigned it.
    bool cosigned_at(const std::string& size) {
        return eventually([&] {
            const auto latest = call("GET", "/v1/ledger/checkpoint");
            return latest.body.find("\n" + size + "\n") != std::string::npos &&
                   latest.header("x-cosignatures").rfind("2 of 2", 0) == 0;
        });
    }
    // Serves until both witnesses cosigned a checkpoint of `size`, then stops the server.
    void serve_until_cosigned(const std::string& size) {
        auto server = serve();
        ASSERT_TRUE(server);
        ASSERT_TRUE(cosigned_at(size));
        EXPECT_EQ(server->signal(SIGTERM), 0);
    }
    std::string config_flag() const { return " --config " + test_config(data_).string(); }
    fs::path backups() const { return root_ / "backups"; }
    // A backup of the stopped server's store into backups().
    void back_up() {
        int code = -1;
        kakitome("backup --to " + backups().string() + " --data " + data_.string() + ledger_key() +
                     config_flag(),
                 &code);
        ASSERT_EQ(code, 0) << read_text(root_ / "stderr");
    }
    // The restore of the newest backup into root_/restored, with the witnesses configured.
    std::string restore_command() const {
        return "restore --from " + backups().string() + " --to " + (root_ / "restored").string() +
               " --master-key " + (data_ / "master.key").string() + ledger_key() + config_flag();
    }
    std::unique_ptr<Process> serve() {
        auto server = start_server(
            data_, port_, root_ / "serve.out",
            {"--checkpoint-seconds", "1", "--ledger-key", (root_ / "keys/ledger.key").string()});
        base_ = "http://127.0.0.1:" + std::to_string(port_);
        return server;
    }

    fs::path root_, data_;
    std::string base_, admin_, auditor_;
    int port_ = free_tcp_port();
    int port_a_ = 0, port_b_ = 0;
    std::vector<std::unique_ptr<Process>> witnesses_;
};

TEST_F(Witnessed, TwoWitnessesCosignAndCatchAForkedLog) {
    int code = -1;
    ASSERT_NO_FATAL_FAILURE(two_witnesses());
    const int port_a = port_a_;
    auto server = serve();
    ASSERT_TRUE(server);
    add_principals("first-", 5);
    // Two principals from the command line and five through the API: seven events.
    HttpReply checkpoint;
    ASSERT_TRUE(eventually([&] {
        checkpoint = call("GET", "/v1/ledger/checkpoint");
        return checkpoint.body.find("\n7\n") != std::string::npos &&
               checkpoint.header("x-cosignatures").rfind("2 of 2", 0) == 0 &&
               checkpoint.body.find("witness-a.example") != std::string::npos &&
               checkpoint.body.find("witness-b.example") != std::string::npos;
    })) << checkpoint.body
        << checkpoint.header("x-missing-cosignatures");
    EXPECT_EQ(checkpoint.header("x-missing-cosignatures"), "");

    // The export proves the cosignatures to an auditor holding only the keys.
    const std::string exported = (root_ / "export.jsonl").string();
    kakitome("export --to " + exported + " --data " + data_.string() + ledger_key(), &code);
    ASSERT_EQ(code, 0);
    const std::string verify =
        "verify --export " + exported + " --pubkey " + (root_ / "log.pub").string();
    std::string verdict =
        kakitome(verify + " --witness " + (root_ / "wa.pub").string() + " --witness " +
                     (root_ / "wb.pub").string() + " --min-witnesses 2",
                 &code);
    EXPECT_EQ(code, 0) << verdict;
    EXPECT_NE(verdict.find("cosigned by 2 witnesses"), std::string::npos) << verdict;
    const std::string stranger = witness_key('c');
    verdict = kakitome(verify + " --witness " + stranger, &code);
    EXPECT_EQ(code, 1) << verdict;
    EXPECT_EQ(verdict.rfind("unwitnessed", 0), 0u) << verdict;

    // A witness restarted keeps what it cosigned: asked as if new, it names its size.
    witnesses_[0]->signal(SIGTERM);
    witnesses_[0] = start_witness('a', port_a);
    std::string note = call("GET", "/v1/ledger/checkpoint").body;
    if (const auto cosignatures = note.find("\n— witness"); cosignatures != std::string::npos)
        note.resize(cosignatures + 1);
    const auto asked =
        http_request("POST", "http://127.0.0.1:" + std::to_string(port_a) + "/add-checkpoint", {},
                     "old 0\n\n" + note);
    EXPECT_EQ(asked.status, 409) << asked.body;
    EXPECT_EQ(asked.header("content-type"), "text/x.tlog.size");
    EXPECT_EQ(asked.body, "7\n") << "a fresh witness would have cosigned";

    // Keep a copy of the store, go on, then put the copy back: a rolled-back store.
    EXPECT_EQ(server->signal(SIGTERM), 0);
    fs::copy(data_, root_ / "data-old", fs::copy_options::recursive);
    server = serve();
    ASSERT_TRUE(server);
    add_principals("second-", 5);
    ASSERT_TRUE(eventually([&] {
        const auto latest = call("GET", "/v1/ledger/checkpoint");
        return latest.body.find("\n12\n") != std::string::npos &&
               latest.header("x-cosignatures").rfind("2 of 2", 0) == 0;
    })) << "both witnesses cosign the longer log";
    EXPECT_EQ(server->signal(SIGTERM), 0);
    fs::remove_all(data_);
    fs::rename(root_ / "data-old", data_);
    server = serve();
    ASSERT_TRUE(server);
    add_principals("other-", 8);  // another history, longer than what the witnesses saw
    HttpReply refused;
    ASSERT_TRUE(eventually([&] {
        refused = call("GET", "/v1/ledger/checkpoint");
        return refused.header("x-missing-cosignatures") ==
               "witness-a.example (refused), witness-b.example (refused)";
    })) << refused.header("x-missing-cosignatures")
        << " / " << refused.header("x-cosignatures");
    const std::string metrics = call("GET", "/metrics").body;
    EXPECT_EQ(metrics.find("kakitome_witness_refusals_total 0\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("kakitome_witness_refusals_total "), std::string::npos);
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

// Defect: restore proved a backup only against the checkpoint notes given with
// --known-checkpoint, so an operator who kept none restored a backup behind what both witnesses
// had cosigned without a word (the witnesses refused the log only later, once it served). Now
// the configured witnesses are asked before the restore is used.
TEST_F(Witnessed, RestoreAsksTheWitnessesAndRefusesARollbackTheySaw) {
    ASSERT_NO_FATAL_FAILURE(two_witnesses());
    ASSERT_NO_FATAL_FAILURE(serve_until_cosigned("2"));
    ASSERT_NO_FATAL_FAILURE(back_up());
    auto server = serve();
    ASSERT_TRUE(server);
    add_principals("later-", 3);
    ASSERT_TRUE(cosigned_at("5")) << "both witnesses saw five events";
    EXPECT_EQ(server->signal(SIGTERM), 0);

    int code = -1;
    const fs::path restored = root_ / "restored";
    const std::string restore = restore_command();
    std::string said = kakitome(restore, &code);
    EXPECT_EQ(code, 1) << said << read_text(root_ / "stderr");
    EXPECT_NE(read_text(root_ / "stderr").find("a checkpoint of 5 was seen outside"),
              std::string::npos)
        << read_text(root_ / "stderr");
    EXPECT_NE(said.find(R"("verdict":"ahead_of_restore")"), std::string::npos) << said;
    EXPECT_FALSE(fs::exists(restored));
    EXPECT_FALSE(fs::exists(restored.string() + ".restoring"));

    said = kakitome(restore + " --accept-rollback --reason 'disk lost; witnessed 5'", &code);
    ASSERT_EQ(code, 0) << said << read_text(root_ / "stderr");
    EXPECT_NE(said.find(R"("rollback_accepted":true)"), std::string::npos) << said;
    const std::string events =
        kakitome("events --stream operations --data " + restored.string(), &code);
    EXPECT_EQ(code, 0) << read_text(root_ / "stderr");
    EXPECT_NE(events.find("LedgerRolledBack"), std::string::npos) << events;
    EXPECT_NE(events.find(R"("known_size":5)"), std::string::npos) << events;
}

// Review finding: the witnesses were shown the backup's latest checkpoint, not its head. A
// backup taken between two checkpoints, whose head a witness cosigned later, was refused as a
// rollback although it lacked nothing. And a witness that cannot be reached changes nothing.
TEST_F(Witnessed, ABackupTakenBetweenCheckpointsIsNoRollbackAndAnUnreachableWitnessIsReported) {
    ASSERT_NO_FATAL_FAILURE(two_witnesses());
    ASSERT_NO_FATAL_FAILURE(serve_until_cosigned("2"));
    int code = -1;
    // One more event, and no checkpoint of it, before the backup.
    kakitome("token create --role auditor --name late --data " + data_.string() + ledger_key(),
             &code);
    ASSERT_EQ(code, 0);
    ASSERT_NO_FATAL_FAILURE(back_up());
    const json listed = json::parse(kakitome("backup list --from " + backups().string()));
    ASSERT_EQ(listed["head"], 3) << listed;
    ASSERT_EQ(listed["checkpoint_size"], 2) << listed;
    // The witnesses cosign the head the backup holds; then one of them goes away.
    ASSERT_NO_FATAL_FAILURE(serve_until_cosigned("3"));
    witnesses_[1]->signal(SIGTERM);

    const std::string said = kakitome(restore_command(), &code);
    ASSERT_EQ(code, 0) << said << read_text(root_ / "stderr");
    EXPECT_NE(said.find(R"("name":"witness-a.example","size":3,"verdict":"consistent")"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find(R"("verdict":"unreachable")"), std::string::npos) << said;
    EXPECT_NE(said.find(R"("rollback_accepted":false)"), std::string::npos) << said;
}

// A witness that refuses for another reason than another tree (here: it knows another key for
// this log's origin, so it answers 403) is reported, and does not make the restore a fork.
TEST_F(Witnessed, AWitnessThatDoesNotKnowTheLogsKeyIsReportedNotTakenForAFork) {
    ASSERT_NO_FATAL_FAILURE(two_witnesses());
    ASSERT_NO_FATAL_FAILURE(serve_until_cosigned("2"));
    ASSERT_NO_FATAL_FAILURE(back_up());
    int code = -1;
    // Another log of the same origin: its own store and ledger key.
    const std::string other = " --data " + (root_ / "other-data").string() + " --ledger-key " +
                              (root_ / "keys/other.key").string();
    kakitome("token create --role auditor --name other" + other, &code);
    ASSERT_EQ(code, 0);
    kakitome("ledger pubkey" + other + " > " + (root_ / "other.pub").string(), &code);
    ASSERT_EQ(code, 0);
    witnesses_[1]->signal(SIGTERM);
    witnesses_[1] = start_witness('b', port_b_, "other.pub");

    const std::string said = kakitome(restore_command(), &code);
    ASSERT_EQ(code, 0) << said << read_text(root_ / "stderr");
    EXPECT_NE(said.find(R"("verdict":"refused")"), std::string::npos) << said;
    EXPECT_NE(said.find("HTTP 403"), std::string::npos) << said;
    EXPECT_EQ(said.find(R"("verdict":"forked")"), std::string::npos) << said;
}

}  // namespace
}  // namespace kakitome::testing
