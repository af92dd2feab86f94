// The shipped binary as a replicated pair (docs/replication.md): a 3-node nats-server cluster
// and two `kakitome serve` nodes on 127.0.0.1, driven over HTTP as clients drive them. A burst
// of commands; kill -9 of the primary in the middle of it; the standby takes over (the time is
// measured and printed); every command answered 2xx is in the log exactly once, and no seq is
// used twice. Then the old primary is started again while the new one writes (it must not
// write, and says why), its data directory is wiped (it rebuilds from the stream and ends
// identical), and both stores verify: chain, tree, projections, and checkpoints that agree.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/server_harness.h"
#include "bench/nats_cluster.h"
#include "events/test_store.h"

namespace kakitome::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct KakitomeNode {
    std::string name;
    std::filesystem::path directory, data;
    int port = free_tcp_port();
    std::unique_ptr<Process> process;
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
};

class ReplicatedServe : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fresh_directory("replicated");
        cluster_ = bench::NatsCluster::start(root_ / "nats").value();
        if (wait_for_a_healthy_cluster()) {
            ASSERT_TRUE(cluster_->wait_healthy());
        }
        for (const char* name : {"a", "b"}) {
            KakitomeNode node{name, root_ / name, root_ / name / "data"};
            const auto config = test_config(node.data);
            json settings = json::parse(std::ifstream(config));
            settings["replication"] = {{"mode", "replicated"},
                                       {"servers", cluster_->urls()},
                                       {"node", name},
                                       {"lease_ms", 2000}};
            std::ofstream(config) << settings.dump(2);
            nodes_.push_back(std::move(node));
        }
    }
    virtual bool wait_for_a_healthy_cluster() const { return true; }
    void TearDown() override {
        for (auto& node : nodes_) node.process.reset();
        cluster_.reset();
        std::filesystem::remove_all(root_);
    }
    void start(KakitomeNode& node) {
        std::vector<std::string> extra{"--checkpoint-seconds", "1"};
        if (node.name == "a" && !std::filesystem::exists(root_ / "admin.token"))
            extra.insert(extra.end(), {"--admin-token-file", (root_ / "admin.token").string()});
        node.process = start_server(node.data, node.port, node.directory / "stdout", extra,
                                    node.directory / "stderr");
        ASSERT_NE(node.process, nullptr) << stderr_of(node);
    }
    // Starts the cluster's first node, which writes the first admin token to its file: the token.
    std::string start_first(KakitomeNode& node) {
        start(node);
        EXPECT_TRUE(eventually([&] { return std::filesystem::exists(root_ / "admin.token"); }));
        std::string admin;
        std::ifstream(root_ / "admin.token") >> admin;
        return admin;
    }
    std::string stderr_of(const KakitomeNode& node) const {
        std::ifstream in(node.directory / "stderr");
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    json replication_of(const KakitomeNode& node) const {
        const HttpReply ready = http_request("GET", node.base() + "/readyz");
        const json body = json::parse(ready.body, nullptr, false);
        return body.is_object() ? body["checks"].value("replication", json()) : json();
    }
    HttpReply call(const KakitomeNode& node, const std::string& method, const std::string& path,
                   const std::string& bearer, const std::string& body = "") const {
        return http_request(method, node.base() + path,
                            {"Authorization: Bearer " + bearer, "Content-Type: application/json"},
                            body);
    }
    // Every event of the node, in order, as GET /v1/events lists them.
    json all_events(const KakitomeNode& node, const std::string& bearer) const {
        json events = json::array();
        for (std::uint64_t from = 1;;) {
            const HttpReply page =
                call(node, "GET", "/v1/events?from=" + std::to_string(from) + "&limit=500", bearer);
            EXPECT_EQ(page.status, 200) << page.body;
            const json body = json::parse(page.body);
            for (const auto& event : body["items"]) events.push_back(event);
            if (body["next"].is_null()) return events;
            from = body["next"].get<std::uint64_t>();
        }
    }
    // The node's latest signed checkpoint (origin, size, root, the log's signature).
    std::string checkpoint_of(const KakitomeNode& node, const std::string& bearer) const {
        return call(node, "GET", "/v1/ledger/checkpoint", bearer).body;
    }
    // Every node of a cluster has the same master key (the data keys and blobs beside the log
    // are sealed with it) and the same ledger key (the log has one identity for auditors and
    // witnesses): the operator copies both before a node's first start (docs/replication.md).
    static void copy_keys(const KakitomeNode& from, const KakitomeNode& to) {
        std::filesystem::create_directories(to.data);
        std::filesystem::permissions(to.data, std::filesystem::perms::owner_all);
        for (const char* key : {"master.key", "ledger.key"})
            std::filesystem::copy_file(from.data / key, to.data / key);
    }

    std::filesystem::path root_;
    std::unique_ptr<bench::NatsCluster> cluster_;
    std::vector<KakitomeNode> nodes_;
};

TEST_F(ReplicatedServe, TheStandbyTakesOverAKilledPrimaryAndNothingAcknowledgedIsLost) {
    KakitomeNode& a = nodes_[0];
    KakitomeNode& b = nodes_[1];
    const std::string admin = start_first(a);
    ASSERT_FALSE(admin.empty());
    copy_keys(a, b);
    start(b);
    EXPECT_EQ(replication_of(a).value("role", ""), "primary") << replication_of(a);
    ASSERT_TRUE(eventually([&] { return replication_of(b).value("role", "") == "standby"; }));
    EXPECT_EQ(replication_of(b).value("primary", ""), "a");

    // An application arrives on a (form and password mails): its personal data is sealed with
    // a data key a makes, kept beside the log.
    const std::string sato = json::parse(
        call(a, "POST", "/v1/tokens", admin, R"({"name":"sato","role":"operator"})").body)["token"];
    auto post_mail = [&](const KakitomeNode& node, const std::string& mail) {
        std::ifstream in(std::string(KAKITOME_FIXTURES) + "/mail/" + mail, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        return http_request("POST", node.base() + "/v1/mail",
                            {"Authorization: Bearer " + sato, "Content-Type: message/rfc822"},
                            text);
    };
    for (const char* mail : {"pair2_form_utf8.eml", "pair2_password_utf8.eml"})
        ASSERT_EQ(post_mail(a, mail).status, 201) << mail;
    // Another applicant's form arrives on a; its password mail will arrive after the failover.
    ASSERT_EQ(post_mail(a, "pair3_form_sjis.eml").status, 201);
    std::string application;
    ASSERT_TRUE(eventually([&] {
        const json queue = json::parse(call(a, "GET", "/v1/queue", sato).body, nullptr, false);
        if (!queue.is_object() || queue["items"].empty()) return false;
        application = queue["items"][0]["application"];
        return true;
    }));

    // The burst: clients create principals, each name once, at whichever node writes.
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::map<std::string, std::string> acknowledged_by;
    std::atomic<int> target{0};
    std::atomic<bool> stopping{false};
    Clock::time_point killed_at{}, first_after_kill{};
    std::atomic<bool> killed{false};
    std::vector<std::thread> clients;
    for (int client = 0; client < 4; ++client) {
        clients.emplace_back([&, client] {
            for (int i = 0; !stopping; ++i) {
                const std::string name =
                    "burst-" + std::to_string(client) + "-" + std::to_string(i);
                for (int attempt = 0; attempt < 400 && !stopping; ++attempt) {
                    const int at = target.load();
                    const HttpReply reply = call(nodes_[at], "POST", "/v1/tokens", admin,
                                                 json{{"name", name}, {"role", "auditor"}}.dump());
                    if (reply.status == 201) {
                        std::lock_guard lock(mutex);
                        acknowledged.push_back(name);
                        acknowledged_by[name] = nodes_[at].name;
                        if (killed && first_after_kill == Clock::time_point{})
                            first_after_kill = Clock::now();
                        break;
                    }
                    // 409: an earlier unanswered attempt did land; the name is not acknowledged.
                    if (reply.status == 409) break;
                    // Refused (0: connection refused; 503: a standby, or no quorum): try the
                    // other node a moment later, as a client behind a load balancer would.
                    int expected = at;
                    target.compare_exchange_strong(expected, 1 - at);
                    std::this_thread::sleep_for(std::chrono::milliseconds(25));
                }
            }
        });
    }
    auto count = [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size();
    };
    ASSERT_TRUE(eventually([&] { return count() >= 40; }));
    killed_at = Clock::now();
    a.process->signal(SIGKILL);
    killed = true;
    const std::size_t at_kill = count();
    const bool resumed = eventually([&] { return count() >= at_kill + 40; }) ||
                         eventually([&] { return count() >= at_kill + 40; });
    stopping = true;
    for (auto& client : clients) client.join();
    ASSERT_TRUE(resumed) << stderr_of(b);
    const double failover_ms =
        std::chrono::duration<double, std::milli>(first_after_kill - killed_at).count();
    RecordProperty("failover_ms", static_cast<int>(failover_ms));
    std::printf(
        "failover: first acknowledged command on the standby %.0f ms after kill -9 of "
        "the primary (lease 2000 ms)\n",
        failover_ms);
    EXPECT_LT(failover_ms, 10000);
    EXPECT_EQ(replication_of(b).value("role", ""), "primary");
    // The new primary opens what the old one sealed (and records the disclosure).
    const HttpReply detail = call(b, "GET", "/v1/applications/" + application, sato);
    EXPECT_EQ(detail.status, 200) << detail.body;
    EXPECT_NE(detail.body.find("minato-ph.example.com"), std::string::npos) << detail.body;
    // The password mail pairs on the new primary with the attachment the old one received.
    ASSERT_EQ(post_mail(b, "pair3_password_sjis.eml").status, 201);
    EXPECT_TRUE(eventually([&] {
        const json queue = json::parse(call(b, "GET", "/v1/queue", sato).body, nullptr, false);
        if (!queue.is_object() || queue["items"].size() != 2) return false;
        for (const auto& row : queue["items"])
            if (row["state"] != "validated") return false;
        return true;
    })) << call(b, "GET", "/v1/queue", sato).body;

    // Every acknowledged command is in the log exactly once; no seq is used twice.
    const std::string auditor =
        json::parse(call(b, "POST", "/v1/tokens", admin, R"({"name":"checker","role":"auditor"})")
                        .body)["token"];
    const json events = all_events(b, auditor);
    std::map<std::string, int> created;
    for (std::size_t i = 0; i < events.size(); ++i) {
        ASSERT_EQ(events[i]["seq"].get<std::uint64_t>(), i + 1) << "a seq missing or twice";
        if (events[i]["type"] == "TokenCreated") ++created[events[i]["payload"]["name"]];
    }
    for (const auto& name : acknowledged)
        EXPECT_EQ(created[name], 1) << name << " (acknowledged by " << acknowledged_by[name] << ")";
    for (const auto& [name, times] : created) EXPECT_LE(times, 1) << name;
    bool some_by_a = false, some_by_b = false;
    for (const auto& [name, node] : acknowledged_by) (node == "a" ? some_by_a : some_by_b) = true;
    EXPECT_TRUE(some_by_a && some_by_b) << "the burst spans the failover";

    // Split brain attempt: the old primary starts again while the new one writes.
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (int i = 0; writing; ++i)
            call(b, "POST", "/v1/tokens", admin,
                 json{{"name", "after-" + std::to_string(i)}, {"role", "auditor"}}.dump());
    });
    start(a);
    const json a_now = replication_of(a);
    EXPECT_EQ(a_now.value("role", ""), "standby") << a_now;
    EXPECT_EQ(a_now.value("primary", ""), "b") << a_now;
    const HttpReply refused =
        call(a, "POST", "/v1/tokens", admin, R"({"name":"from-the-old-primary","role":"auditor"})");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("node b"), std::string::npos) << refused.body;
    writing = false;
    writer.join();
    std::ifstream started(a.directory / "stdout");
    const std::string said((std::istreambuf_iterator<char>(started)),
                           std::istreambuf_iterator<char>());
    EXPECT_NE(said.find(R"("replication":"standby")"), std::string::npos) << said;

    // A wiped node rebuilds from the stream.
    ASSERT_EQ(a.process->signal(SIGTERM), 0);
    std::filesystem::remove_all(a.data);
    copy_keys(b, a);
    start(a);
    const auto b_head = [&] { return replication_of(b).value("applied", 0); };
    ASSERT_TRUE(eventually([&] { return replication_of(a).value("applied", 0) == b_head(); }));
    EXPECT_EQ(all_events(a, auditor), all_events(b, auditor));
    // Both nodes sign the same checkpoint over the same tree, byte for byte.
    ASSERT_TRUE(eventually([&] {
        const std::string checkpoint = checkpoint_of(b, auditor);
        return checkpoint == checkpoint_of(a, auditor) &&
               checkpoint.find("\n" + std::to_string(b_head()) + "\n") != std::string::npos;
    })) << checkpoint_of(a, auditor)
        << "\n"
        << checkpoint_of(b, auditor);

    // Both stores, stopped, verify: chain and tree, and projections equal to a rebuild.
    ASSERT_EQ(b.process->signal(SIGTERM), 0);
    ASSERT_EQ(a.process->signal(SIGTERM), 0);
    for (const auto* node : {&a, &b}) {
        int code = -1;
        const std::string verified = run_command(
            std::string(KAKITOME_BINARY) + " verify --data " + node->data.string() + " 2>&1",
            &code);
        EXPECT_EQ(code, 0) << node->name << ": " << verified;
        const std::string compared = run_command(
            std::string(KAKITOME_BINARY) + " replay --compare --data " + node->data.string() +
                " --config " + (node->directory / "kakitome.json").string() + " 2>&1",
            &code);
        EXPECT_EQ(code, 0) << node->name << ": " << compared;
    }
    // A tool opened on a node's directory without the cluster must not write beside the log.
    int code = -1;
    const std::string tool = run_command(
        std::string(KAKITOME_BINARY) + " token create --role auditor --name by-a-tool --data " +
            a.data.string() + " 2>&1",
        &code);
    EXPECT_NE(code, 0) << tool;
    EXPECT_NE(tool.find("replicated log"), std::string::npos) << tool;
}

}  // namespace
}  // namespace kakitome::testing

namespace kakitome::testing {
namespace {

// A node whose directory was wiped, started alone (the other node down), takes the lease and
// writes. It must know the principals the log holds before it decides about the first admin
// token: it used to decide from what its store held before it read the log (nothing), and
// exited with "principal 'admin' already exists".
TEST_F(ReplicatedServe, AWipedNodeStartedAloneKnowsThePrincipalsOfTheLog) {
    KakitomeNode& a = nodes_[0];
    KakitomeNode& b = nodes_[1];
    const std::string admin = start_first(a);
    ASSERT_FALSE(admin.empty());
    ASSERT_EQ(call(a, "POST", "/v1/tokens", admin,
                   json{{"name", "auditor-1"}, {"role", "auditor"}}.dump())
                  .status,
              201);
    copy_keys(a, b);  // kept aside while a's directory is wiped
    ASSERT_EQ(a.process->signal(SIGTERM), 0);
    a.process.reset();
    std::filesystem::remove_all(a.data);
    copy_keys(b, a);
    start(a);
    ASSERT_TRUE(eventually([&] { return replication_of(a).value("role", "") == "primary"; }))
        << stderr_of(a);
    const HttpReply listed = call(a, "GET", "/v1/tokens", admin);
    EXPECT_EQ(listed.status, 200) << listed.body;
    EXPECT_NE(listed.body.find("auditor-1"), std::string::npos) << listed.body;
    std::ifstream said_file(a.directory / "stdout");
    const std::string said((std::istreambuf_iterator<char>(said_file)),
                           std::istreambuf_iterator<char>());
    // One admin token in all: the one the first start wrote to its file.
    EXPECT_EQ(said.find(R"("admin_token":"kkt_)"), std::string::npos) << said;
}

// A wiped node rebuilding a long log answers before its read models have folded it, as an
// embedded node does: /readyz says it is folding (503) and the routes that read them answer 503
// catching_up; it used to fold before it listened (32 s per million events).
TEST_F(ReplicatedServe, AWipedNodeListensBeforeItsReadModelsHaveFoldedTheLog) {
    KakitomeNode& a = nodes_[0];
    KakitomeNode& b = nodes_[1];
    int code = -1;
    const std::string seeded = run_command(std::string(KAKITOME_BINARY) +
                                               " bench seed-queue --applications 20000 --data " +
                                               a.data.string() + " 2>&1",
                                           &code);
    ASSERT_EQ(code, 0) << seeded;
    // An embedded store switched to replicated: it publishes its history before it listens
    // (7 s here alone; more than the usual 30 s of patience on a busy 2-core CI machine).
    a.process = launch_server(a.data, a.port, a.directory / "stdout", {}, a.directory / "stderr",
                              KAKITOME_BINARY, std::chrono::seconds(150));
    ASSERT_NE(a.process, nullptr) << stderr_of(a);
    const std::uint64_t head = 120000;
    ASSERT_GE(replication_of(a).value("applied", 0), head) << replication_of(a);
    copy_keys(a, b);
    // Listening comes after reading the 120,000 events of the log: more patience than usual.
    b.process = launch_server(b.data, b.port, b.directory / "stdout", {}, b.directory / "stderr",
                              KAKITOME_BINARY, std::chrono::seconds(150));
    ASSERT_NE(b.process, nullptr) << stderr_of(b);
    // Not yet folded: whether the worker has begun ("folding read model …") or not ("0 of N
    // events folded"), the projections' check is not ok.
    const HttpReply ready = http_request("GET", b.base() + "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body;
    const json readiness = json::parse(ready.body, nullptr, false);
    ASSERT_TRUE(readiness.is_object()) << ready.body;
    EXPECT_EQ(readiness["checks"]["projections"].value("ok", true), false) << ready.body;
    EXPECT_GE(replication_of(b).value("applied", 0), head) << "it listens once it has the log";
    const auto give_up = Clock::now() + std::chrono::seconds(120);
    while (http_request("GET", b.base() + "/readyz").status != 200 && Clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(http_request("GET", b.base() + "/readyz").status, 200) << stderr_of(b);
}

TEST_F(ReplicatedServe, AppendsGoOnWithoutOneNatsNodeAndAnswer503WithoutTwo) {
    KakitomeNode& a = nodes_[0];
    const std::string admin = start_first(a);
    ASSERT_FALSE(admin.empty());
    int next = 0;
    auto create = [&] {
        return call(a, "POST", "/v1/tokens", admin,
                    json{{"name", "user-" + std::to_string(next++)}, {"role", "auditor"}}.dump());
    };
    ASSERT_EQ(create().status, 201);
    cluster_->kill_node(2);
    // A quorum of two: commands go on (after the stream elects a leader among the two, if its
    // leader was the node that went).
    auto succeeds_soon = [&](std::chrono::seconds patience) {
        const auto give_up = Clock::now() + patience;
        while (Clock::now() < give_up) {
            if (create().status == 201) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    };
    ASSERT_TRUE(succeeds_soon(std::chrono::seconds(20))) << stderr_of(a);
    ASSERT_EQ(create().status, 201);
    cluster_->kill_node(1);
    // Without a quorum: 503 saying why, nothing half-written, and reads still answer.
    const HttpReply refused = create();
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("replicated log"), std::string::npos) << refused.body;
    const HttpReply listed = call(a, "GET", "/v1/tokens", admin);
    EXPECT_EQ(listed.status, 200);
    const HttpReply again = create();
    EXPECT_EQ(again.status, 503) << again.body;
    cluster_->start_node(1);
    cluster_->start_node(2);
    ASSERT_TRUE(succeeds_soon(std::chrono::seconds(60))) << stderr_of(a);
    ASSERT_EQ(a.process->signal(SIGTERM), 0);
    int code = -1;
    const std::string verified = run_command(
        std::string(KAKITOME_BINARY) + " verify --data " + a.data.string() + " 2>&1", &code);
    EXPECT_EQ(code, 0) << verified;
}

}  // namespace
}  // namespace kakitome::testing

namespace kakitome::testing {
namespace {

// The whole site starting at once: serve is started the moment the NATS servers listen, before
// JetStream has elected its meta leader. It waits for JetStream instead of exiting.
class ReplicatedServeWithItsCluster : public ReplicatedServe {
  protected:
    bool wait_for_a_healthy_cluster() const override { return false; }
};

TEST_F(ReplicatedServeWithItsCluster, ServeWaitsForJetStreamInsteadOfExiting) {
    KakitomeNode& a = nodes_[0];
    start(a);
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(root_ / "admin.token"); }));
    EXPECT_TRUE(eventually([&] { return replication_of(a).value("role", "") == "primary"; }));
}

}  // namespace
}  // namespace kakitome::testing
