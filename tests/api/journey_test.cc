// Every user's journey through the binary that ships: `kakitome serve` started as a process on
// a store built from the fixture mails, spoken to over HTTP only, exactly as a client would.
// Tokens are made over HTTP; staff, auditors and responders each walk their journey; the
// read-side command line runs beside the server; every route in docs/openapi.yaml is called at
// least once and no answer may be a 5xx. (Defects found by trying the product as a new user:
// the real server answered 503 on every ledger and incident route while in-process tests,
// wiring the parts by hand, stayed green.)
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "engine/office/office_document.h"
#include "events/base/base64.h"
#include "events/base/timestamp.h"
#include "events/ledger.h"
#include "events/merkle.h"
#include "fixtures.h"
#include "mail_builder.h"
#include "openapi_routes.h"
#include "server_harness.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Journey : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        root_ = fs::temp_directory_path() /
                ("kakitome-journey-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "mailbox");
        data_ = root_ / "data";
    }
    void TearDown() override { fs::remove_all(root_); }

    // The kakitome command line on the journey's data; stderr kept apart.
    std::string cli(const std::string& arguments, int* exit_code = nullptr,
                    std::string* errors = nullptr) {
        const auto error_file = root_ / "cli.err";
        auto out = run_command(std::string(KAKITOME_BINARY) + " " + arguments + " --data " +
                                   data_.string() + " 2>" + error_file.string(),
                               exit_code);
        if (errors) {
            std::ifstream in(error_file);
            std::stringstream text;
            text << in.rdbuf();
            *errors = text.str();
        }
        return out;
    }
    // One HTTP call; records which documented route it exercised and fails on any 5xx.
    HttpReply call(const std::string& method, const std::string& route, const std::string& target,
                   const std::string& token = "", std::vector<std::string> headers = {},
                   const std::string& body = "") {
        if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
        const bool typed = std::any_of(headers.begin(), headers.end(), [](const std::string& h) {
            return h.rfind("Content-Type:", 0) == 0;
        });
        if (!body.empty() && !typed) headers.push_back("Content-Type: application/json");
        auto reply = http_request(method, base_ + target, headers, body);
        exercised_.insert(method + " " + route);
        answers().record(method, route, reply, /*is_route=*/true);
        EXPECT_GT(reply.status, 0) << method << " " << target << ": no answer";
        EXPECT_LT(reply.status, 500) << method << " " << target << ": " << reply.body;
        return reply;
    }
    json body_of(const HttpReply& reply) { return json::parse(reply.body, nullptr, false); }
    // Every answer is kept for the contract check at the end (DocumentedAnswers).
    DocumentedAnswers answers() const { return DocumentedAnswers(root_ / "responses.jsonl"); }
    void expect_answers_match_the_document() {
        EXPECT_EQ(answers().findings(), "");
        // For whoever writes the document: the answers, kept past the test's clean-up.
        if (const char* keep = std::getenv("KAKITOME_KEEP_RESPONSES"))
            fs::copy_file(answers().file(), keep, fs::copy_options::overwrite_existing);
    }
    std::string token_for(const std::string& admin, const json& request) {
        const auto created = call("POST", "/v1/tokens", "/v1/tokens", admin, {}, request.dump());
        EXPECT_EQ(created.status, 201) << created.body;
        return body_of(created).value("token", "");
    }
    // Two mails of an applicant: the form encrypted with its password, then the password.
    void write_applicant(const std::string& name, const std::string& sender,
                         const std::string& form, const std::string& password) {
        const std::string encrypted =
            office::encrypt_document(read_fixture(form), password, office::EncryptionMethod::agile,
                                     1000)
                .value();
        std::ofstream(root_ / "mailbox" / (name + "_1.eml")) << build_mail(
            sender, encoded_word("PR 動画利用申請", "UTF-8"), name + "-form@t.example",
            "Content-Type: text/plain; charset=us-ascii\r\n", "",
            {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
        std::ofstream(root_ / "mailbox" / (name + "_2.eml"))
            << build_mail(sender, encoded_word("PR 動画利用申請", "UTF-8"), name + "-pw@t.example",
                          "Content-Type: text/plain; charset=us-ascii\r\n", password + "\r\n");
    }
    // Every organisation, address and password of the fixtures and of the applicants this
    // journey writes (tests/data/fixtures/manifest.json, the mails' From lines).
    std::vector<std::string> personal_data_of_the_fixtures() {
        std::vector<std::string> found{"pw-b1", "pw-b2", "pw-b3", "pw-b4"};
        const json manifest = json::parse(std::ifstream(fixtures_directory() / "manifest.json"));
        for (const auto& [name, form] : manifest["forms"].items())
            for (const char* field : {"organization", "contact_email"})
                if (form["expected"].value(field, "").size() >= 6)
                    found.push_back(form["expected"][field]);
        for (const auto& [name, file] : manifest["encrypted"].items())
            if (file.value("password", "").size() >= 6) found.push_back(file["password"]);
        const std::regex address(R"(^From:.*?([A-Za-z0-9._+-]+@[A-Za-z0-9.-]+))",
                                 std::regex::multiline);
        for (const auto& entry : fs::directory_iterator(root_ / "mailbox")) {
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string raw((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
            for (std::sregex_iterator match(raw.begin(), raw.end(), address), end; match != end;
                 ++match)
                found.push_back((*match)[1]);
        }
        return found;
    }

    fs::path root_, data_;
    std::string base_;
    std::set<std::string> exercised_;
};

// One journey, deliberately one test: each role works on what the one before left (the auditor
// proves the staff's decisions, the responder reviews the staff's disclosures). A failure names
// its step (the journey_step trace) so it still points at one behaviour.
TEST_F(Journey, StaffAuditorAndResponderThroughTheRealServer) {
    std::optional<::testing::ScopedTrace> journey_step;
    // The store: the fixture mailbox (three pairs and an unrelated mail) and four more applicants.
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    write_applicant("b1", "koho@tachibana-dental.example.jp", "forms/valid_all_usages.xlsx",
                    "pw-b1");
    write_applicant("b2", "info@other-usage.example.jp", "forms/valid_other_usage.xlsx", "pw-b2");
    write_applicant("b3", "soumu@fullwidth.example.jp", "forms/valid_fullwidth_org.xlsx", "pw-b3");
    write_applicant("b4", "kenpo@no-consent.example.or.jp", "forms/invalid_no_consent.xlsx",
                    "pw-b4");
    int exit_code = -1;
    cli("ingest " + (root_ / "mailbox").string(), &exit_code);
    ASSERT_EQ(exit_code, 0);

    SmtpSink sink(root_ / "sent", free_tcp_port());
    ASSERT_TRUE(sink.start());
    const fs::path config = test_config(data_);
    {
        json with_mail = json::parse(std::ifstream(config));
        with_mail["mail"] = {{"smtp_url", sink.url()}};
        std::ofstream(config) << with_mail.dump(2);
    }
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log", {}, root_ / "serve.stderr");
    ASSERT_TRUE(server) << server->output();
    base_ = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(
        eventually([&] { return server->output().find("admin_token") != std::string::npos; }));
    const std::string admin =
        json::parse(server->output().substr(0, server->output().find('\n')))["admin_token"];

    EXPECT_EQ(call("GET", "/healthz", "/healthz").status, 200);
    // Refused by the server before routing (two Authorization headers): answered as the document
    // says, and logged like any other request (checked with the log below).
    EXPECT_EQ(call("GET", "/healthz", "/healthz", "",
                   {"Authorization: Bearer one", "Authorization: Bearer two"})
                  .status,
              400);
    // Ready once the worker has passed (it does within a second of the start); 503 until then.
    ASSERT_TRUE(eventually([&] { return http_request("GET", base_ + "/readyz").status == 200; }));
    EXPECT_EQ(body_of(call("GET", "/readyz", "/readyz"))["checks"]["ledger_key"]["ok"], true);
    const std::string sato =
        token_for(admin, {{"name", "sato"}, {"role", "operator"}, {"display_name", "佐藤 花子"}});
    const std::string suzuki = token_for(admin, {{"name", "suzuki"}, {"role", "supervisor"}});
    const std::string ito = token_for(admin, {{"name", "ito"}, {"role", "auditor"}});
    const std::string ito_pii =
        token_for(admin, {{"name", "ito-pii"}, {"role", "auditor"}, {"pii_access", true}});
    const std::string tanaka = token_for(admin, {{"name", "tanaka"}, {"role", "responder"}});
    token_for(admin, {{"name", "admin-2"}, {"role", "admin"}});

    // ---- The console: served by the binary itself, under the one strict policy.
    journey_step.emplace(__FILE__, __LINE__, "the console's page and files");
    const auto root = call("GET", "/", "/");
    EXPECT_EQ(root.status, 302);
    EXPECT_EQ(root.header("location"), "/console/");
    const auto console = call("GET", "/console/", "/console/");
    ASSERT_EQ(console.status, 200);
    EXPECT_EQ(console.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(console.body.find("src=\"/console/app.js\""), std::string::npos) << console.body;
    EXPECT_NE(console.header("content-security-policy").find("default-src 'self'"),
              std::string::npos);
    EXPECT_EQ(console.header("content-security-policy").find("unsafe-"), std::string::npos);
    const auto script = call("GET", "/console/{file}", "/console/app.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(call("GET", "/console/{file}", "/console/none.js").status, 404);
    const auto who = call("GET", "/v1/me", "/v1/me", sato);
    EXPECT_EQ(body_of(who)["role"], "operator") << who.body;
    // This server runs without a backup directory: asking for one says so (the backup drill
    // itself is tests/api/backup_restore_test.cc).
    EXPECT_EQ(body_of(call("GET", "/v1/backups", "/v1/backups", admin))["type"],
              "https://kakitome.example/problems/backup_not_configured");
    EXPECT_EQ(call("POST", "/v1/backups", "/v1/backups", admin).status, 409);
    // Nor with a retention policy (the retention drill: tests/api/retention_test.cc).
    EXPECT_EQ(body_of(call("GET", "/v1/retention", "/v1/retention", admin))["type"],
              "https://kakitome.example/problems/retention_not_configured");
    EXPECT_EQ(call("POST", "/v1/retention/run", "/v1/retention/run", admin).status, 409);
    // Token lives (the whole of it: tests/api/token_lifecycle_test.cc).
    const json listed = body_of(call("GET", "/v1/tokens", "/v1/tokens", admin));
    EXPECT_EQ(listed["items"].size(), 7u) << listed;
    const std::string rotated = body_of(call(
        "POST", "/v1/tokens/{name}/rotate", "/v1/tokens/admin-2/rotate", admin, {}, "{}"))["token"];
    EXPECT_EQ(call("GET", "/v1/me", "/v1/me", rotated).status, 200);
    EXPECT_EQ(call("POST", "/v1/tokens/{name}/revoke", "/v1/tokens/admin-2/revoke", admin, {},
                   R"({"reason":"journey"})")
                  .status,
              200);
    EXPECT_EQ(call("GET", "/v1/me", "/v1/me", rotated).status, 401);

    // ---- Staff: the queue, one application, assign and approve with If-Match.
    journey_step.emplace(__FILE__, __LINE__, "staff: queue, application, assign, approve");
    std::vector<json> queue;
    ASSERT_TRUE(eventually([&] {
        const auto page = call("GET", "/v1/queue", "/v1/queue?limit=100", sato);
        queue = body_of(page)["items"].get<std::vector<json>>();
        return queue.size() >= 7u;
    }));
    std::vector<std::string> validated, rejected;
    for (const auto& row : queue) {
        if (row["state"] == "validated") validated.push_back(row["application"]);
        if (row["state"] == "rejected") rejected.push_back(row["application"]);
    }
    ASSERT_GE(validated.size(), 4u);
    ASSERT_GE(rejected.size(), 1u);
    const std::string& approved = validated[0];
    auto read = call("GET", "/v1/applications/{id}", "/v1/applications/" + approved, sato);
    ASSERT_EQ(read.status, 200);
    EXPECT_NE(body_of(read)["contact"]["sender"], "***") << "an operator sees the contact";
    const std::string command = "/v1/applications/{id}/commands/{name}";
    auto assigned = call("POST", command, "/v1/applications/" + approved + "/commands/assign", sato,
                         {"If-Match: " + read.header("etag")}, R"({"assignee":"sato"})");
    ASSERT_EQ(assigned.status, 200) << assigned.body;
    auto stale = call("POST", command, "/v1/applications/" + approved + "/commands/approve", sato,
                      {"If-Match: " + read.header("etag")}, "{}");
    EXPECT_EQ(stale.status, 412) << "another person changed it since";
    // The moment before the approval, for the auditor's time travel below.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const std::string before_approval =
        format_rfc3339_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto issued =
        call("POST", command, "/v1/applications/" + approved + "/commands/approve", sato,
             {"If-Match: " + assigned.header("etag"), "Idempotency-Key: approve-1"}, "{}");
    ASSERT_EQ(issued.status, 200) << issued.body;
    EXPECT_EQ(body_of(issued)["state"], "url_issued");

    // The link arrives by mail (the worker's outbox, through a real SMTP server) and works.
    journey_step.emplace(__FILE__, __LINE__, "staff: the link arrives by mail and works");
    std::string link;
    const std::regex link_pattern("/d/([A-Za-z0-9_-]{43})");
    ASSERT_TRUE(eventually([&] {
        for (std::string raw : sink.received()) {
            raw.erase(std::remove(raw.begin(), raw.end(), '\r'), raw.end());
            const auto at = raw.find("\n\n");
            std::string encoded;
            for (char c : raw.substr(at + 2))
                if (c != '\n') encoded += c;
            auto decoded = base64_decode(encoded);
            std::smatch match;
            if (decoded.is_ok() && std::regex_search(decoded.value(), match, link_pattern))
                link = match[1];
        }
        return !link.empty();
    })) << "no mail with a link arrived";
    const auto download = call("GET", "/d/{token}", "/d/" + link);
    EXPECT_EQ(download.status, 302);
    EXPECT_EQ(download.header("location").rfind("https://storage.test.example", 0), 0u)
        << download.header("location");

    // Reject with a known code (an unknown one is refused), correction, revoke and reissue,
    journey_step.emplace(__FILE__, __LINE__,
                         "staff: reject, correct, revoke, reissue, withdraw, erase");
    // withdraw, erase.
    auto etag_of = [&](const std::string& application, const std::string& token) {
        return call("GET", "/v1/applications/{id}", "/v1/applications/" + application, token)
            .header("etag");
    };
    // A command on the application's current version, read once: the worker's own events (the
    // mails it sends meanwhile) do not make that version stale, so no retry is needed.
    auto fresh = [&](const std::string& application, const std::string& name,
                     const std::string& token, const std::string& body) {
        const HttpReply reply =
            call("POST", command, "/v1/applications/" + application + "/commands/" + name, token,
                 {"If-Match: " + etag_of(application, token)}, body);
        EXPECT_NE(reply.status, 412) << name << ": " << reply.body;
        return reply;
    };
    const std::string& to_reject = validated[1];
    EXPECT_EQ(fresh(to_reject, "reject", sato, R"({"codes":["not_a_code"]})").status, 400);
    EXPECT_EQ(fresh(to_reject, "reject", sato,
                    R"({"codes":["consent_not_given"],"message":"同意欄をご確認ください"})")
                  .status,
              200);
    EXPECT_EQ(
        fresh(rejected[0], "request_correction", sato, R"({"codes":["consent_not_given"]})").status,
        200);
    auto revoked = fresh(approved, "revoke_url", suzuki, R"({"reason":"宛先誤り"})");
    EXPECT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(call("GET", "/d/{token}", "/d/" + link).status, 410);
    EXPECT_EQ(fresh(approved, "reissue_url", suzuki, R"({"reason":"再発行"})").status, 200);
    EXPECT_EQ(fresh(validated[2], "withdraw", sato, R"({"reason":"申請者から取り下げ"})").status,
              200);
    EXPECT_EQ(fresh(validated[3], "erase", sato, R"({"reason":"本人の求め"})").status, 403)
        << "only a supervisor erases";
    // A legal hold stops erasure until it is released (retention itself:
    // tests/api/retention_test.cc).
    EXPECT_EQ(fresh(validated[3], "hold", sato, R"({"reason":"訴訟"})").status, 403);
    EXPECT_EQ(fresh(validated[3], "hold", suzuki, R"({"reason":"訴訟"})").status, 200);
    const auto held = fresh(validated[3], "erase", suzuki, R"({"reason":"本人の求め"})");
    EXPECT_EQ(body_of(held)["type"], "https://kakitome.example/problems/legal_hold") << held.body;
    EXPECT_EQ(fresh(validated[3], "release_hold", suzuki, R"({"reason":"和解"})").status, 200);
    const auto erased = fresh(validated[3], "erase", suzuki, R"({"reason":"本人の求め"})");
    EXPECT_EQ(erased.status, 200) << erased.body;
    EXPECT_EQ(body_of(call("GET", "/v1/applications/{id}", "/v1/applications/" + validated[3],
                           suzuki))["contact"]["sender"],
              "[erased]");
    // A mail handed in over the API.
    journey_step.emplace(__FILE__, __LINE__, "staff: a mail handed in over the API");
    const auto posted = call(
        "POST", "/v1/mail", "/v1/mail", sato, {"Content-Type: message/rfc822"},
        build_mail("late@example.jp", encoded_word("PR 動画利用申請", "UTF-8"), "late@t.example",
                   "Content-Type: text/plain; charset=us-ascii\r\n", "password only\r\n"));
    EXPECT_EQ(posted.status, 201) << posted.body;
    // Organisation search through the real server: a recorded disclosure of what it names.
    journey_step.emplace(__FILE__, __LINE__, "staff: organisation search");
    const json found = body_of(call("GET", "/v1/queue/organizations",
                                    "/v1/queue/organizations?search=%EF%BD%81%EF%BD%82%EF%BD%83",
                                    sato));  // "ａｂｃ" full-width: finds ＡＢＣ商事株式会社
    ASSERT_GE(found["total"], 1) << found;
    for (const auto& item : found["items"]) EXPECT_EQ(item["organization"], "ＡＢＣ商事株式会社");
    // A form sent without its password is refused, answered in Japanese by the worker's
    // outbox, and listed in the inbox with the answer's progress (issue 12).
    journey_step.emplace(__FILE__, __LINE__, "staff: the inbox of mails that went nowhere");
    const auto refused =
        call("POST", "/v1/mail", "/v1/mail", sato, {"Content-Type: message/rfc822"},
             build_mail("plain@example.jp", encoded_word("PR 動画利用申請", "UTF-8"),
                        "plain@t.example", "Content-Type: text/plain; charset=us-ascii\r\n", "",
                        {{.filename_header = "filename=\"form.xlsx\"",
                          .bytes = read_fixture("forms/valid_basic.xlsx")}}));
    EXPECT_EQ(body_of(refused)["reason"], "attachment_not_encrypted") << refused.body;
    json inbox;
    EXPECT_TRUE(eventually([&] {
        inbox = body_of(call("GET", "/v1/inbox", "/v1/inbox?kind=refused", sato));
        return inbox.contains("items") && !inbox["items"].empty() &&
               inbox["items"][0]["answer"] == "sent";
    })) << inbox;
    EXPECT_EQ(inbox["items"][0]["reason"], "attachment_not_encrypted");
    EXPECT_EQ(inbox.dump().find("plain@"), std::string::npos) << "no personal data in the inbox";
    const json unrelated = body_of(call("GET", "/v1/inbox", "/v1/inbox?kind=unrelated", sato));
    EXPECT_EQ(unrelated["total"], 1) << unrelated;  // the fixture mailbox's unrelated mail
    EXPECT_EQ(call("GET", "/v1/inbox", "/v1/inbox", ito).status, 403);
    EXPECT_EQ(call("GET", "/v1/inbox", "/v1/inbox?kind=spam", sato).status, 400);
    bool answered = false;
    for (const auto& raw : sink.received())
        answered = answered || raw.find("In-Reply-To: <plain@t.example>") != std::string::npos;
    EXPECT_TRUE(answered) << "the applicant got no answer";

    // ---- Auditor: events, the signed checkpoint, proofs verified with the published key.
    journey_step.emplace(__FILE__, __LINE__, "auditor: events, checkpoint, proofs");
    // Time travel: the queue as it was just before the approval, and before anything at all.
    const auto as_of_route = "/v1/queue/as-of";
    const json then =
        body_of(call("GET", as_of_route, "/v1/queue/as-of?at=" + before_approval, ito));
    ASSERT_TRUE(then.contains("items")) << then;
    bool seen_validated = false;
    for (const auto& row : then["items"])
        if (row["application"] == approved) seen_validated = row["state"] == "validated";
    EXPECT_TRUE(seen_validated) << then;
    const json origin =
        body_of(call("GET", as_of_route, "/v1/queue/as-of?at=2000-01-01T00:00:00Z", ito));
    EXPECT_EQ(origin["seq"], 0);
    EXPECT_TRUE(origin["items"].empty());
    EXPECT_EQ(call("GET", as_of_route, "/v1/queue/as-of?at=yesterday", ito).status, 400);
    EXPECT_EQ(call("GET", as_of_route, "/v1/queue/as-of?at=" + before_approval, sato).status, 403);
    EXPECT_EQ(body_of(call("GET", "/v1/applications/{id}", "/v1/applications/" + approved,
                           ito))["contact"]["sender"],
              "***");
    EXPECT_NE(body_of(call("GET", "/v1/applications/{id}", "/v1/applications/" + approved,
                           ito_pii))["contact"]["sender"],
              "***");
    const auto trail = call("GET", "/v1/applications/{id}/events",
                            "/v1/applications/" + approved + "/events?limit=50", ito);
    EXPECT_GE(body_of(trail)["items"].size(), 5u);
    const auto events = call("GET", "/v1/events", "/v1/events?from=1&limit=5", ito);
    ASSERT_EQ(body_of(events)["items"].size(), 5u);
    std::string cli_key = cli("ledger pubkey", &exit_code);
    ASSERT_EQ(exit_code, 0) << "ledger pubkey beside the server";
    cli_key.erase(cli_key.find_last_not_of("\n") + 1);
    HttpReply checkpoint;
    ASSERT_TRUE(eventually([&] {
        checkpoint = call("GET", "/v1/ledger/checkpoint", "/v1/ledger/checkpoint", ito);
        return checkpoint.status == 200;
    })) << checkpoint.body;
    EXPECT_EQ(checkpoint.header("x-verifier-key"), cli_key);
    auto opened = open_checkpoint(checkpoint.body, cli_key);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    const std::uint64_t size = opened->size;
    ASSERT_GE(size, 5u);
    // The history: the latest checkpoint comes first, every note opens with the key.
    const json history =
        body_of(call("GET", "/v1/ledger/checkpoints", "/v1/ledger/checkpoints?limit=1000", ito));
    ASSERT_TRUE(history.contains("items") && !history["items"].empty()) << history;
    EXPECT_GE(history["items"][0]["size"].get<std::uint64_t>(), size);
    for (const auto& item : history["items"])
        EXPECT_TRUE(open_checkpoint(item["note"].get<std::string>(), cli_key).is_ok()) << item;
    const auto inclusion =
        body_of(call("GET", "/v1/ledger/proof/inclusion",
                     "/v1/ledger/proof/inclusion?seq=3&size=" + std::to_string(size), ito));
    std::vector<merkle::Hash> path;
    for (const auto& node : inclusion["proof"]) {
        const std::string bytes = base64_decode(node.get<std::string>()).value();
        merkle::Hash hash{};
        std::copy(bytes.begin(), bytes.end(), hash.begin());
        path.push_back(hash);
    }
    const auto third = body_of(events)["items"][2];
    Sha256Digest event_hash{};
    for (std::size_t i = 0; i < event_hash.size(); ++i)
        event_hash[i] = static_cast<std::uint8_t>(
            std::stoi(third["hash"].get<std::string>().substr(2 * i, 2), nullptr, 16));
    EXPECT_TRUE(merkle::verify_inclusion(2, size, merkle::leaf_hash(event_hash), path, opened->root)
                    .is_ok())
        << "event 3 is in the signed tree";
    const auto consistency =
        body_of(call("GET", "/v1/ledger/proof/consistency",
                     "/v1/ledger/proof/consistency?from=2&to=" + std::to_string(size), suzuki));
    EXPECT_EQ(consistency["to_root"], base64_encode(std::string_view(
                                          reinterpret_cast<const char*>(opened->root.data()), 32)));
    const auto metrics = call("GET", "/metrics", "/metrics", admin);
    EXPECT_NE(metrics.body.find("kakitome_pii_disclosures_total"), std::string::npos);

    // ---- Responder: report, scope, who-saw (names the operator), saw-what, review, notify,
    journey_step.emplace(__FILE__, __LINE__,
                         "responder: report, scope, who-saw, saw-what, review, notify, close");
    // evidence deleted, close.
    const auto reported = call("POST", "/v1/incidents", "/v1/incidents", tanaka, {},
                               json{{"description", "確認: 申請内容が他者に表示されたか"},
                                    {"from", "2026-01-01T00:00:00+09:00"},
                                    {"to", "2030-01-01T00:00:00+09:00"}}
                                   .dump());
    ASSERT_EQ(reported.status, 201) << reported.body;
    const std::string incident = body_of(reported)["incident"];
    json incidents;
    EXPECT_TRUE(eventually([&] {  // the list follows the log on the worker's next pass
        incidents = body_of(call("GET", "/v1/incidents", "/v1/incidents", tanaka));
        return incidents.contains("items") && !incidents["items"].empty() &&
               incidents["items"][0]["incident"] == incident;
    })) << incidents;
    EXPECT_EQ(incidents["items"][0]["description"], "確認: 申請内容が他者に表示されたか");
    const std::string step = "/v1/incidents/{incident}/steps/{step}";
    EXPECT_EQ(call("POST", step, "/v1/incidents/" + incident + "/steps/scope", tanaka, {},
                   json{{"applications", {approved, to_reject}}}.dump())
                  .status,
              200);
    json who_saw;
    ASSERT_TRUE(eventually([&] {
        who_saw = body_of(
            call("GET", "/v1/incidents/who-saw/{id}", "/v1/incidents/who-saw/" + approved, tanaka));
        for (const auto& record : who_saw["disclosures"])
            if (record["principal"] == "sato") return true;
        return false;
    })) << who_saw.dump();
    const auto saw_what = body_of(
        call("GET", "/v1/incidents/saw-what/{principal}", "/v1/incidents/saw-what/sato", tanaka));
    EXPECT_GE(saw_what["disclosures"].size(), 1u);
    const auto review = call("GET", "/v1/incidents/review",
                             "/v1/incidents/review?from=2026-01-01T00%3A00%3A00%2B09%3A00&to=2030-"
                             "01-01T00%3A00%3A00%2B09%3A00&incident=" +
                                 incident,
                             tanaka);
    EXPECT_EQ(review.status, 200) << review.body;
    EXPECT_TRUE(body_of(review)["deadlines"].is_array()) << review.body;
    // The responder picks a scope from the queue, which holds no personal data.
    EXPECT_EQ(call("GET", "/v1/queue", "/v1/queue", tanaka).status, 200);
    // To notify the applicant the responder opens the contact, in scope only, and it is recorded.
    const std::string contact = "/v1/incidents/{incident}/contacts/{id}";
    const auto contact_reply =
        call("GET", contact, "/v1/incidents/" + incident + "/contacts/" + approved, tanaka);
    ASSERT_EQ(contact_reply.status, 200) << contact_reply.body;
    EXPECT_FALSE(body_of(contact_reply)["contact_email"].get<std::string>().empty());
    EXPECT_EQ(body_of(contact_reply).count("remarks"), 0u) << "only what notifying needs";
    EXPECT_EQ(
        call("GET", contact, "/v1/incidents/" + incident + "/contacts/" + validated[2], tanaka)
            .status,
        403)
        << "not in this incident's scope";
    EXPECT_EQ(call("POST", step, "/v1/incidents/" + incident + "/steps/notify", tanaka, {},
                   json{{"application", approved}}.dump())
                  .status,
              200);
    EXPECT_EQ(call("POST", step, "/v1/incidents/" + incident + "/steps/evidence-deleted", tanaka,
                   {}, json{{"note", "キャッシュ削除を確認"}}.dump())
                  .status,
              200);

    // Another system's evidence, over HTTP: the mapping, the old site's export and log as
    // bodies, the review over them, and the signed bundle verified by the command line.
    journey_step.emplace(__FILE__, __LINE__, "responder: another system's evidence");
    const std::filesystem::path nginx = std::filesystem::path(KAKITOME_EXTERNAL_DATA) / "nginx";
    auto file_bytes = [](const std::filesystem::path& file) {
        std::ifstream in(file, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    EXPECT_EQ(call("POST", step, "/v1/incidents/" + incident + "/steps/mapping", tanaka, {},
                   file_bytes(nginx / "mapping.json"))
                  .status,
              200);
    const std::string import = "/v1/incidents/{incident}/imports/{kind}";
    const std::vector<std::string> octets = {"Content-Type: application/octet-stream"};
    const auto registrations =
        call("POST", import, "/v1/incidents/" + incident + "/imports/registrations?name=r.csv",
             tanaka, octets, file_bytes(nginx / "registrations.csv"));
    ASSERT_EQ(registrations.status, 201) << registrations.body;
    EXPECT_EQ(body_of(registrations)["recorded"], 30);
    const auto log = call(
        "POST", import,
        "/v1/incidents/" + incident + "/imports/access-log?format=nginx-combined&name=access.log",
        tanaka, octets, file_bytes(nginx / "access.log"));
    ASSERT_EQ(log.status, 201) << log.body;
    EXPECT_EQ(body_of(log)["bad_lines"], 0);
    EXPECT_EQ(call("POST", import,
                   "/v1/incidents/" + incident +
                       "/imports/access-log?format=nginx-combined&name=again.log",
                   tanaka, octets, file_bytes(nginx / "access.log"))
                  .status,
              200)
        << "the same file again: a duplicate, nothing added";
    const auto external_review = body_of(call(
        "GET", "/v1/incidents/review",
        "/v1/incidents/review?from=2025-05-01T00%3A00%3A00Z&to=2030-01-01T00%3A00%3A00Z&incident=" +
            incident,
        tanaka));
    EXPECT_EQ(external_review["external"]["files"].size(), 2u) << external_review.dump();
    bool found_leak = false;
    for (const auto& row : external_review["rows"])
        found_leak = found_leak || (row["application"] == "N-010" && row["disclosed_to_others"]);
    EXPECT_TRUE(found_leak) << external_review.dump();
    // To notify the registrant whose page leaked, the responder opens the imported contact.
    const auto external_contact =
        call("GET", contact, "/v1/incidents/" + incident + "/contacts/N-010", tanaka);
    ASSERT_EQ(external_contact.status, 200) << external_contact.body;
    EXPECT_TRUE(body_of(external_contact)["external"]);
    EXPECT_FALSE(body_of(external_contact)["contact_email"].get<std::string>().empty());
    json who_saw_external;
    EXPECT_TRUE(eventually([&] {
        who_saw_external = body_of(
            call("GET", "/v1/incidents/who-saw/{id}", "/v1/incidents/who-saw/N-010", tanaka));
        return who_saw_external["disclosures"].size() == 1;
    })) << "opening it is recorded like any disclosure: "
        << who_saw_external;
    const auto bundle = call("GET", "/v1/incidents/{incident}/evidence",
                             "/v1/incidents/" + incident + "/evidence", ito);
    ASSERT_EQ(bundle.status, 200) << bundle.body;
    std::ofstream(root_ / "evidence.jsonl") << bundle.body;
    const auto evidence_verdict =
        run_command(std::string(KAKITOME_BINARY) + " verify --export " +
                        (root_ / "evidence.jsonl").string() + " --pubkey '" + cli_key + "'",
                    &exit_code);
    EXPECT_EQ(exit_code, 0) << evidence_verdict;
    EXPECT_EQ(evidence_verdict.rfind("intact: evidence of incident", 0), 0u) << evidence_verdict;

    // ---- The read-side command line beside the running server.
    journey_step.emplace(__FILE__, __LINE__, "the read-side command line beside the server");
    std::string errors;
    for (const std::string& reader : std::vector<std::string>{
             "verify", "events --limit 3", "queue", "trail " + approved, "ledger checkpoint",
             "ledger proof --seq 2", "incident who-saw " + approved, "incident saw-what sato",
             "incident review --incident " + incident + " --csv",
             "replay --projection queue --as-of 2030-01-01T00:00:00Z"}) {
        const auto out = cli(reader, &exit_code, &errors);
        EXPECT_EQ(exit_code, 0) << reader << ": " << errors;
        EXPECT_FALSE(out.empty()) << reader;
        EXPECT_EQ(errors.find("LOCK"), std::string::npos) << reader << ": " << errors;
    }
    EXPECT_NE(cli("incident who-saw " + approved, &exit_code).find("\"sato\""), std::string::npos);
    cli("export --to " + (root_ / "ledger.export").string(), &exit_code, &errors);
    ASSERT_EQ(exit_code, 0) << errors;
    const auto verdict =
        run_command(std::string(KAKITOME_BINARY) + " verify --export " +
                        (root_ / "ledger.export").string() + " --pubkey '" + cli_key + "'",
                    &exit_code);
    EXPECT_EQ(exit_code, 0) << verdict;
    EXPECT_EQ(verdict.rfind("intact:", 0), 0u) << verdict;
    // Writers refuse beside the server, naming the alternative.
    journey_step.emplace(__FILE__, __LINE__, "writers refuse beside the server");
    cli("token create --role operator --name late", &exit_code, &errors);
    EXPECT_EQ(exit_code, 4);
    EXPECT_NE(errors.find("REST API"), std::string::npos) << errors;

    EXPECT_EQ(call("POST", step, "/v1/incidents/" + incident + "/steps/close", tanaka, {},
                   json{{"report", "漏えいなし"}}.dump())
                  .status,
              200);

    // Every documented route was called at least once, none answered 5xx.
    journey_step.emplace(__FILE__, __LINE__, "every documented route called, none 5xx");
    for (const auto& route : documented_routes())
        EXPECT_TRUE(exercised_.count(route)) << route << " was never exercised";
    journey_step.emplace(__FILE__, __LINE__, "every answer as the document describes it");
    expect_answers_match_the_document();
    EXPECT_EQ(server->signal(SIGTERM), 0);

    // The operator's log: a JSON line per request (principal by name, route as its pattern),
    // and no personal data or secret of anyone in it.
    journey_step.emplace(__FILE__, __LINE__, "the operator's log: readable, and no PII");
    std::ifstream log_file(root_ / "serve.stderr");
    std::string log_text((std::istreambuf_iterator<char>(log_file)),
                         std::istreambuf_iterator<char>());
    int request_lines = 0, sato_commands = 0, worker_lines = 0, refused_lines = 0;
    std::istringstream log_lines(log_text);
    for (std::string line; std::getline(log_lines, line);) {
        const json entry = json::parse(line, nullptr, false);
        ASSERT_TRUE(entry.is_object()) << "not a JSON line: " << line;
        EXPECT_TRUE(entry.contains("time") && entry.contains("level")) << line;
        if (entry.value("message", "") == "request") {
            ++request_lines;
            EXPECT_TRUE(entry.contains("request_id") && entry.contains("status") &&
                        entry.contains("latency_ms") && entry.contains("route"))
                << line;
            sato_commands += entry.value("principal", json()) == "sato" &&
                             entry.value("method", json()) == "POST" &&
                             entry.value("route", "") == "/v1/applications/{id}/commands/{name}";
        }
        worker_lines += entry.value("message", "") == "worker" && entry.contains("appended");
        refused_lines += entry.value("route", "") == "(refused before routing)" &&
                         entry.value("status", 0) == 400;
    }
    EXPECT_GE(request_lines, static_cast<int>(exercised_.size())) << log_text.substr(0, 2000);
    EXPECT_GT(sato_commands, 0) << "sato's commands are logged under her name";
    EXPECT_GT(worker_lines, 0) << "the worker's mail deliveries are logged";
    EXPECT_GT(refused_lines, 0) << "a request the server refused before routing is logged";
    for (const auto& secret : personal_data_of_the_fixtures())
        EXPECT_EQ(log_text.find(secret), std::string::npos) << "in the log: " << secret;
    for (const auto& secret : {sato, suzuki, ito, ito_pii, tanaka, admin, link})
        EXPECT_EQ(log_text.find(secret), std::string::npos) << "a token or link in the log";
    EXPECT_EQ(cli("verify", &exit_code).rfind("intact", 0), 0u);
}

// Issue 20: a client generated from docs/openapi.yaml (openapi-typescript + openapi-fetch, npm,
// pinned in tests/contract/package-lock.json) is type-checked against the document by tsc and
// then walks part of the staff's journey against the real server.
TEST_F(Journey, AClientGeneratedFromTheDocumentWalksAJourney) {
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    int exit_code = -1;
    cli("ingest " + (root_ / "mailbox").string(), &exit_code);
    ASSERT_EQ(exit_code, 0);
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log", {}, root_ / "serve.stderr");
    ASSERT_TRUE(server);
    base_ = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(
        eventually([&] { return server->output().find("admin_token") != std::string::npos; }));
    const std::string admin =
        json::parse(server->output().substr(0, server->output().find('\n')))["admin_token"];

    const fs::path contract = fs::path(KAKITOME_SOURCE_DIR) / "tests/contract";
    const fs::path client = root_ / "client";
    fs::create_directories(client);
    fs::copy_file(contract / "client_journey.ts", client / "client_journey.ts");
    fs::copy_file(contract / "tsconfig.json", client / "tsconfig.json");
    std::ofstream(client / "package.json") << R"({"type": "module"})";
    fs::create_directory_symlink(contract / "node_modules", client / "node_modules");
    const std::string tools = (client / "node_modules/.bin/").string();
    const std::string generated =
        run_command(tools + "openapi-typescript " + std::string(KAKITOME_SOURCE_DIR) +
                        "/docs/openapi.yaml -o " + (client / "api.d.ts").string() + " 2>&1",
                    &exit_code);
    ASSERT_EQ(exit_code, 0) << generated;
    const std::string compiled =
        run_command(tools + "tsc -p " + client.string() + " 2>&1", &exit_code);
    ASSERT_EQ(exit_code, 0) << "the client does not type-check against the document:\n" << compiled;
    const std::string walked = run_command(
        "node " + (client / "client_journey.js").string() + " " + base_ + " " + admin + " 2>&1",
        &exit_code);
    EXPECT_EQ(exit_code, 0) << walked;
    EXPECT_NE(walked.find("ok runCommand approve\n"), std::string::npos) << walked;
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

TEST_F(Journey, SafeByDefault) {
    std::filesystem::create_directories(data_);
    std::filesystem::permissions(data_, std::filesystem::perms::owner_all);
    int exit_code = -1;
    std::string errors;
    // serve without a configuration refuses the demo storage (unless --demo).
    cli("serve --listen 127.0.0.1:" + std::to_string(free_tcp_port()), &exit_code, &errors);
    EXPECT_EQ(exit_code, 2);
    EXPECT_NE(errors.find("--demo"), std::string::npos) << errors;
    // process --now ahead of the clock: refused; --simulate leaves the data untouched.
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    cli("ingest " + (root_ / "mailbox").string(), &exit_code);
    ASSERT_EQ(exit_code, 0);
    const std::string before = cli("verify", &exit_code);
    cli("process --once --now 2030-01-01T00:00:00Z", &exit_code, &errors);
    EXPECT_EQ(exit_code, 2);
    EXPECT_NE(errors.find("--simulate"), std::string::npos) << errors;
    const auto simulated = cli("process --once --simulate --now 2030-01-01T00:00:00Z", &exit_code);
    EXPECT_EQ(exit_code, 0);
    EXPECT_TRUE(json::parse(simulated)["would_append"].contains("SlaOverdue")) << simulated;
    EXPECT_EQ(json::parse(simulated)["timers_failing"], json::array())
        << "every due timer of the ingested mail would fire: " << simulated;
    EXPECT_EQ(cli("verify", &exit_code), before) << "the simulation wrote nothing";
}

// Issue 14 §5: the data directory was 0755 and its files 0644. It is created 0700 with every
// file in it 0600 (whatever the caller's umask), and one open to others is refused.
TEST_F(Journey, TheDataDirectoryIsPrivate) {
    for (const auto& entry : fs::directory_iterator(fixtures_directory() / "mail"))
        fs::copy_file(entry.path(), root_ / "mailbox" / entry.path().filename());
    int exit_code = -1;
    std::string errors;
    cli("ingest " + (root_ / "mailbox").string(), &exit_code, &errors);
    ASSERT_EQ(exit_code, 0) << errors;
    cli("process --once", &exit_code, &errors);
    ASSERT_EQ(exit_code, 0) << errors;
    EXPECT_EQ(fs::status(data_).permissions(), fs::perms::owner_all);
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(data_)) {
        const auto others = fs::perms::group_all | fs::perms::others_all;
        EXPECT_EQ(entry.status().permissions() & others, fs::perms::none) << entry.path();
        files += entry.is_regular_file() ? 1 : 0;
    }
    EXPECT_GT(files, 5) << "the store, its WAL and the keys were looked at";
    fs::permissions(data_,
                    fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    fs::perm_options::add);
    for (const char* command : {"ingest ", "verify", "queue"}) {
        const std::string words =
            std::string(command) +
            (std::string(command) == "ingest " ? (root_ / "mailbox").string() : "");
        cli(words, &exit_code, &errors);
        EXPECT_NE(exit_code, 0) << command;
        EXPECT_NE(errors.find("is open to group or others (mode 0755)"), std::string::npos)
            << command << ": " << errors;
        EXPECT_NE(errors.find("chmod 700"), std::string::npos) << errors;
    }
}

}  // namespace
}  // namespace kakitome::testing
