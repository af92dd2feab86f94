// The retention drill of docs/operations.md on the shipped binary: `kakitome serve` with a
// retention policy, an application withdrawn and one put on legal hold through the API;
// `kakitome retention --dry-run` beside the running server says what is due and what is held;
// the server restarted on a later day sweeps on its own and erases only what is due (the
// applicant's data unreadable, the mails gone, the disk smaller by what /metrics reports); the
// held one survives until its hold is released; the log, its proofs and an export still verify.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "binary_fixture.h"
#include "events/base/timestamp.h"
#include "fixtures.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RetentionDrill : public BinaryTest {
  protected:
    RetentionDrill() : BinaryTest("retention-drill") {}
    void SetUp() override {
        BinaryTest::SetUp();
        fs::create_directories(root_ / "mailbox");
        // The harness's configuration (campaign until 2027-03-31) plus a retention policy.
        std::ifstream in(test_config(data_));
        json config = json::parse(in);
        config["retention"] = {{"after_close_business_days", 5}, {"after_usage_period_days", 30}};
        std::ofstream(root_ / "kakitome.json") << config.dump(2);
    }
    std::string data_flags() const override {
        return " --data " + data_.string() + " --config " + (root_ / "kakitome.json").string();
    }
    HttpReply command(const std::string& application, const std::string& name,
                      const std::string& bearer, const std::string& reason) {
        const std::string etag =
            call("GET", "/v1/applications/" + application, bearer).header("etag");
        return call("POST", "/v1/applications/" + application + "/commands/" + name, bearer,
                    json{{"reason", reason}}.dump(), etag);
    }
    // JSON lines of a dry run, keyed by application; the summary under "".
    std::map<std::string, json> dry_run(const std::string& now) {
        int code = -1;
        const std::string out = kakitome("retention --dry-run --now " + now + data_flags(), &code);
        EXPECT_EQ(code, 0) << out;
        std::map<std::string, json> rows;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            const json row = json::parse(line);
            rows[row.value("application", row.value("mail", ""))] = row;
        }
        return rows;
    }
};

TEST_F(RetentionDrill, TheServerErasesWhatIsDueAndKeepsWhatIsHeld) {
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    int code = -1;
    kakitome("ingest " + (root_ / "mailbox").string() + data_flags(), &code);
    ASSERT_EQ(code, 0);
    const std::string admin = token("admin", "root-admin");
    const std::string supervisor = token("supervisor", "kanri");
    const int port = free_tcp_port();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    const std::vector<std::string> serve_flags{"--config", (root_ / "kakitome.json").string()};
    auto server = start_server(data_, port, root_ / "serve.out", serve_flags);
    ASSERT_TRUE(server);
    const json queue = json::parse(call("GET", "/v1/queue", supervisor).body);
    ASSERT_GE(queue["items"].size(), 2u) << queue;
    const std::string due = queue["items"][0]["application"];
    const std::string held = queue["items"][1]["application"];
    ASSERT_EQ(command(due, "withdraw", supervisor, "申請者から取り下げ").status, 200);
    ASSERT_EQ(command(held, "withdraw", supervisor, "申請者から取り下げ").status, 200);
    ASSERT_EQ(command(held, "hold", supervisor, "訴訟の証拠保全").status, 200);

    // Today nothing is due; three weeks on (past five business days, whatever the calendar),
    // one is due and one held. The dry run reads beside the running server.
    const std::int64_t now = system_clock_ms();
    auto today = dry_run(format_rfc3339_ms(now));
    EXPECT_EQ(today[""]["would_erase"], 0) << today[""];
    EXPECT_EQ(today[due]["action"], "not_due");
    EXPECT_EQ(today[due]["rule"], "after_close");
    const std::string later = format_rfc3339_ms(now + 21LL * 24 * 3600 * 1000);
    auto then = dry_run(later);
    EXPECT_EQ(then[due]["action"], "erase") << then[due];
    EXPECT_EQ(then[held]["action"], "held");
    EXPECT_EQ(then[held]["holds"], json::array({"legal_hold: 訴訟の証拠保全"}));
    EXPECT_EQ(then[""]["dry_run"], true);
    EXPECT_EQ(json::parse(call("GET", "/v1/retention", admin).body)["would_erase"], 0)
        << "the server's own day";
    EXPECT_EQ(server->signal(SIGTERM), 0);

    // The server on that later day sweeps at start, on its own.
    auto later_server =
        start_server(data_, port, root_ / "serve2.out",
                     {"--config", (root_ / "kakitome.json").string(), "--now", later});
    ASSERT_TRUE(later_server);
    std::string metrics;
    for (int i = 0; i < 100; ++i) {
        metrics = call("GET", "/metrics", admin).body;
        if (metrics.find("kakitome_retention_erased_total 1\n") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_NE(metrics.find("kakitome_retention_erased_total 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("kakitome_retention_held 1\n"), std::string::npos) << metrics;
    // The fixture mailbox's mail of another subject is kept by the same policy.
    EXPECT_NE(metrics.find("kakitome_retention_mails_erased_total 1\n"), std::string::npos)
        << metrics;
    const std::string reclaimed = "\nkakitome_retention_bytes_reclaimed_total ";
    const auto reclaimed_at = metrics.find(reclaimed);
    ASSERT_NE(reclaimed_at, std::string::npos);
    EXPECT_GT(std::stoull(metrics.substr(reclaimed_at + reclaimed.size())), 0u) << metrics;
    EXPECT_NE(later_server->output().find("\"retention_erased\":1"), std::string::npos)
        << later_server->output();
    const json erased = json::parse(call("GET", "/v1/applications/" + due, supervisor).body);
    EXPECT_EQ(erased["contact"]["sender"], "[erased]") << erased;
    const json kept = json::parse(call("GET", "/v1/applications/" + held, supervisor).body);
    EXPECT_NE(kept["contact"]["sender"], "[erased]") << kept;
    const std::string events = call("GET", "/v1/applications/" + due + "/events", supervisor).body;
    EXPECT_NE(events.find("RetentionErased"), std::string::npos) << events;
    EXPECT_NE(events.find("after_close_business_days=5;after_usage_period_days=30"),
              std::string::npos);

    // Released, the next sweep (asked for by an admin) erases the held one too.
    EXPECT_EQ(call("POST", "/v1/retention/run", supervisor).status, 403);
    ASSERT_EQ(command(held, "release_hold", supervisor, "判決確定").status, 200);
    const HttpReply swept = call("POST", "/v1/retention/run", admin);
    ASSERT_EQ(swept.status, 200) << swept.body;
    EXPECT_EQ(json::parse(swept.body)["applications"], json::array({held})) << swept.body;
    EXPECT_EQ(
        json::parse(call("GET", "/v1/applications/" + held, supervisor).body)["contact"]["sender"],
        "[erased]");
    EXPECT_EQ(later_server->signal(SIGTERM), 0);

    // The chain, the tree and the checkpoints verify; so does an export, with nothing but the key.
    kakitome("ledger pubkey --data " + data_.string() + " > " + (root_ / "ledger.pub").string(),
             &code);
    ASSERT_EQ(code, 0);
    const std::string verdict = kakitome(
        "verify --data " + data_.string() + " --pubkey " + (root_ / "ledger.pub").string(), &code);
    EXPECT_EQ(code, 0) << verdict;
    kakitome("export --to " + (root_ / "export.jsonl").string() + " --data " + data_.string(),
             &code);
    ASSERT_EQ(code, 0);
    const std::string exported = kakitome("verify --export " + (root_ / "export.jsonl").string() +
                                              " --pubkey " + (root_ / "ledger.pub").string(),
                                          &code);
    EXPECT_EQ(code, 0) << exported;
}

TEST_F(RetentionDrill, WithoutAPolicyTheDryRunSaysSo) {
    std::ifstream in(root_ / "kakitome.json");
    json config = json::parse(in);
    config.erase("retention");
    std::ofstream(root_ / "kakitome.json") << config.dump(2);
    int code = -1;
    kakitome("retention --dry-run" + data_flags(), &code);
    EXPECT_EQ(code, 2);
    std::ifstream err(root_ / "stderr");
    const std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("no retention policy is configured"), std::string::npos) << text;
}

}  // namespace
}  // namespace kakitome::testing
