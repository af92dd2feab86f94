// The life of an API token, through the shipped binary: a token expires (401 token_expired),
// is revoked (401 token_revoked), is rotated (the new secret works; the old one stops at once,
// or after the grace asked for); the list never shows a secret and says when each principal
// last used its token; every change is an event on the principals stream.
#include <gtest/gtest.h>

#include "events/test_store.h"
#include "server_harness.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TokenLifecycle : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fresh_directory("tokens");
        data_ = root_ / "data";
        fs::create_directories(root_);
    }
    void TearDown() override {
        EXPECT_EQ(answers_().findings(), "") << "answers the document does not describe";
        fs::remove_all(root_);
    }
    DocumentedAnswers answers_() const { return DocumentedAnswers(root_ / "responses.jsonl"); }
    std::string kakitome(const std::string& words, int* exit_code = nullptr) {
        return run_command(std::string(KAKITOME_BINARY) + " " + words + " --data " +
                               data_.string() + " 2>>" + (root_ / "stderr").string(),
                           exit_code);
    }
    std::string create(const std::string& role, const std::string& name,
                       const std::string& extra = "") {
        int code = -1;
        const std::string out =
            kakitome("token create --role " + role + " --name " + name + " " + extra, &code);
        EXPECT_EQ(code, 0) << out;
        return json::parse(out)["token"];
    }
    HttpReply call(const std::string& method, const std::string& path, const std::string& bearer,
                   const std::string& body = "") {
        HttpReply reply = http_request(
            method, base_ + path,
            {"Authorization: Bearer " + bearer, "Content-Type: application/json"}, body);
        answers_().record(method, path, reply);
        return reply;
    }
    static std::string problem_type(const HttpReply& reply) {
        return json::parse(reply.body, nullptr, false).value("type", "");
    }

    fs::path root_, data_;
    std::string base_;
};

TEST_F(TokenLifecycle, ExpiresIsRevokedAndRotates) {
    const std::string admin = create("admin", "root-admin", "--now 2026-12-01T09:00:00+09:00");
    const std::string short_lived =
        create("auditor", "kansa-1", "--expires-in-days 1 --now 2026-12-01T09:00:00+09:00");
    const std::string sato = create("operator", "sato", "--now 2026-12-01T09:00:00+09:00");
    const int port = free_tcp_port();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    // Two days later: the one-day token has expired, the 90-day ones have not.
    auto server =
        start_server(data_, port, root_ / "serve.out", {"--now", "2026-12-03T09:00:00+09:00"});
    ASSERT_TRUE(server);
    const auto expired = call("GET", "/v1/me", short_lived);
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(problem_type(expired), "https://kakitome.example/problems/token_expired");
    EXPECT_EQ(call("GET", "/v1/me", sato).status, 200);
    EXPECT_EQ(problem_type(call("GET", "/v1/me", "kkt_never-issued")),
              "https://kakitome.example/problems/unauthenticated");

    // The list: states, lives, last use; never a secret.
    const auto listed = call("GET", "/v1/tokens", admin);
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed.body.find("kkt_"), std::string::npos);
    std::map<std::string, json> by_name;
    const json items = json::parse(listed.body)["items"];
    for (const auto& item : items) by_name[item["name"].get<std::string>()] = item;
    EXPECT_EQ(by_name["kansa-1"]["state"], "expired");
    EXPECT_EQ(by_name["sato"]["state"], "active");
    EXPECT_EQ(by_name["sato"]["expires_at"], "2027-03-01T00:00:00.000Z");
    EXPECT_FALSE(by_name["sato"]["last_used_at"].is_null());
    EXPECT_TRUE(by_name["kansa-1"]["last_used_at"].is_null());

    // Rotation with a grace: both work until it ends; without: the old one stops at once.
    const auto graced = call("POST", "/v1/tokens/sato/rotate", admin, R"({"grace_seconds":3600})");
    ASSERT_EQ(graced.status, 201) << graced.body;
    const std::string sato_2 = json::parse(graced.body)["token"];
    EXPECT_EQ(call("GET", "/v1/me", sato).status, 200);
    EXPECT_EQ(call("GET", "/v1/me", sato_2).status, 200);
    const auto at_once = call("POST", "/v1/tokens/sato/rotate", admin, "{}");
    ASSERT_EQ(at_once.status, 201) << at_once.body;
    const std::string sato_3 = json::parse(at_once.body)["token"];
    EXPECT_EQ(problem_type(call("GET", "/v1/me", sato_2)),
              "https://kakitome.example/problems/token_revoked");
    EXPECT_EQ(call("GET", "/v1/me", sato_3).status, 200);

    // Revocation stops every live token of the principal, the graced old one too.
    const auto revoked = call("POST", "/v1/tokens/sato/revoke", admin, R"({"reason":"異動"})");
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(problem_type(call("GET", "/v1/me", sato_3)),
              "https://kakitome.example/problems/token_revoked");
    EXPECT_EQ(problem_type(call("GET", "/v1/me", sato)),
              "https://kakitome.example/problems/token_revoked");
    EXPECT_EQ(call("POST", "/v1/tokens/sato/revoke", admin, "{}").status, 404);
    EXPECT_EQ(call("POST", "/v1/tokens/nobody/rotate", admin, "{}").status, 404);
    EXPECT_EQ(call("POST", "/v1/tokens/sato/rotate", admin, "{}").status, 404)
        << "a revoked principal has nothing to rotate";
    EXPECT_EQ(call("POST", "/v1/tokens/root-admin/rotate", admin, R"({"grace_seconds":-1})").status,
              400);
    EXPECT_EQ(server->signal(SIGTERM), 0);

    // Every change is an event.
    int code = -1;
    const std::string events = kakitome("events --stream principals", &code);
    EXPECT_EQ(code, 0);
    for (const char* type : {"\"TokenRotated\"", "\"TokenRevoked\""})
        EXPECT_NE(events.find(type), std::string::npos) << type;
    EXPECT_NE(events.find("異動"), std::string::npos);
}

}  // namespace
}  // namespace kakitome::testing
