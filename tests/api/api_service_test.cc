// The REST API's behaviour in-process (transport aside): the auth matrix over every route, the
// headers on every response, disclosures recorded before PII leaves (and 503 when they cannot
// be), If-Match, Idempotency-Key, paging, and that docs/openapi.yaml documents every route.
#include "api/api_service.h"

#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>

#include "api/routes.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "engine/workflow/workflow_fixture.h"
#include "openapi_routes.h"
#include "projections/incident_review.h"
#include "projections/projection_runner.h"
#include "projections/queue_projection.h"

namespace kakitome::api {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

// The answer the API gives, as serve receives it (asynchronously), waited for. With `store`, the
// store's head at the moment the answer is handed over goes to `head_when_answered`: a PII answer
// must not leave before its disclosure is in the log.
HttpResponse answer_of(ApiService& api, const HttpRequest& request, EventStore* store = nullptr,
                       Seq* head_when_answered = nullptr) {
    // As the server's reply: the first call counts, later ones are ignored.
    struct Answered {
        std::mutex mutex;
        bool given = false;
        Seq head{0};
        std::promise<HttpResponse> response;
    };
    auto answered = std::make_shared<Answered>();
    api.handle(request, [answered, store](HttpResponse response) {
        std::lock_guard lock(answered->mutex);
        if (answered->given) return;
        answered->given = true;
        if (store) answered->head = store->head();
        answered->response.set_value(std::move(response));
    });
    auto future = answered->response.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto response = future.get();
    if (head_when_answered) {
        std::lock_guard lock(answered->mutex);
        *head_when_answered = answered->head;
    }
    return response;
}

class Api : public testing::WorkflowTest {
  protected:
    void SetUp() override {
        WorkflowTest::SetUp();
        principals_ = &services_->principals();
        for (auth::Role role : {auth::Role::operator_role, auth::Role::supervisor,
                                auth::Role::auditor, auth::Role::responder, auth::Role::admin}) {
            tokens_[role] =
                principals_->create(std::string(auth::role_name(role)) + "-1", role, false, "test")
                    ->token;
        }
        auditor_with_pii_ =
            principals_->create("auditor-pii", auth::Role::auditor, true, "test")->token;
        application_ = paired("koho@sakura-hp.example.jp");
        start_api();
    }
    void TearDown() override {
        api_.reset();
        WorkflowTest::TearDown();
    }
    // The API exactly as `serve` builds it, with the worker's projections brought up to the
    // applications the test made.
    void start_api() {
        api_.reset();
        worker_ = &services_->worker();
        ASSERT_TRUE(worker_->refresh().is_ok());
        api_ = std::make_unique<ApiService>(*services_);
    }
    HttpResponse call(const std::string& method, const std::string& target,
                      const std::string& token = "",
                      std::map<std::string, std::string> headers = {},
                      const std::string& body = "") {
        HttpRequest request{method, target, std::move(headers), body, "192.0.2.10", false};
        if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
        return answer_of(*api_, request, store_, &head_when_answered_);
    }
    // The store's head at the moment the last answer was handed over (not when call returned).
    Seq head_when_answered_{0};
    static std::string header(const HttpResponse& response, const std::string& name) {
        for (const auto& [key, value] : response.headers) {
            if (key == name) return value;
        }
        return "";
    }
    static void expect_private(const HttpResponse& response, const std::string& where) {
        EXPECT_EQ(header(response, "Cache-Control"), "no-store") << where;
        EXPECT_EQ(header(response, "Pragma"), "no-cache") << where;
        EXPECT_EQ(header(response, "Vary"), "Authorization") << where;
        EXPECT_FALSE(header(response, "X-Request-Id").empty()) << where;
    }
    std::vector<RecordedEvent> disclosures() {
        std::vector<RecordedEvent> found;
        auto all = store_->read_all(Seq{1}, 100000);
        for (auto& event : all.value()) {
            if (event.type == "PiiDisclosed") found.push_back(std::move(event));
        }
        return found;
    }
    std::string concrete(const std::string& pattern) {
        std::string path = pattern;
        auto replace = [&](const std::string& from, const std::string& to) {
            if (auto at = path.find(from); at != std::string::npos)
                path.replace(at, from.size(), to);
        };
        replace("{id}", application_);
        replace("{name}", "assign");
        replace("{token}", std::string(43, 'A'));
        replace("{principal}", "operator-1");
        replace("{incident}", "2026-11-24-000000000000");
        replace("{step}", "notify");
        return path;
    }

    auth::PrincipalRegistry* principals_ = nullptr;
    WorkflowWorker* worker_ = nullptr;
    std::unique_ptr<ApiService> api_;
    std::map<auth::Role, std::string> tokens_;
    std::string auditor_with_pii_;
    std::string application_;
};

// Who may call what, written out from docs/api.md's role table, independently of the route
// table in api/routes.cc (a test that took its answers from routes() passed with a wrong role).
// o operator, s supervisor, a auditor, r responder, A admin; "public" needs no token.
const std::map<std::string, std::string> kDocumentedAccess = {
    {"GET /healthz", "public"},
    {"GET /readyz", "public"},
    {"GET /", "public"},
    {"GET /console/", "public"},
    {"GET /console/{file}", "public"},
    {"GET /v1/me", "osarA"},
    {"GET /metrics", "saA"},
    {"POST /v1/mail", "os"},
    {"GET /v1/queue", "osar"},
    {"GET /v1/queue/as-of", "sa"},
    {"GET /v1/inbox", "os"},
    {"GET /v1/queue/organizations", "os"},
    {"GET /v1/ledger/checkpoints", "sar"},
    {"GET /v1/incidents", "r"},
    {"GET /v1/applications/{id}", "osa"},
    {"GET /v1/incidents/{incident}/contacts/{id}", "r"},
    {"POST /v1/applications/{id}/commands/{name}", "os"},
    {"GET /v1/applications/{id}/events", "osar"},
    {"GET /v1/events", "sa"},
    {"GET /d/{token}", "public"},
    {"POST /v1/tokens", "A"},
    {"GET /v1/backups", "aA"},
    {"GET /v1/tokens", "A"},
    {"POST /v1/tokens/{name}/revoke", "A"},
    {"POST /v1/tokens/{name}/rotate", "A"},
    {"POST /v1/backups", "A"},
    {"GET /v1/retention", "saA"},
    {"POST /v1/retention/run", "A"},
    {"GET /v1/ledger/checkpoint", "sar"},
    {"GET /v1/ledger/proof/inclusion", "sar"},
    {"GET /v1/ledger/proof/consistency", "sar"},
    {"GET /v1/incidents/who-saw/{id}", "r"},
    {"GET /v1/incidents/saw-what/{principal}", "r"},
    {"GET /v1/incidents/review", "r"},
    {"POST /v1/incidents", "r"},
    {"POST /v1/incidents/{incident}/steps/{step}", "r"},
    {"POST /v1/incidents/{incident}/imports/{kind}", "r"},
    {"GET /v1/incidents/{incident}/evidence", "ar"},
};

char role_letter(auth::Role role) {
    switch (role) {
        case auth::Role::operator_role:
            return 'o';
        case auth::Role::supervisor:
            return 's';
        case auth::Role::auditor:
            return 'a';
        case auth::Role::responder:
            return 'r';
        case auth::Role::admin:
            return 'A';
    }
    return '?';
}

TEST_F(Api, AuthMatrixEveryRouteEveryRoleNoBadAndGoodTokens) {
    int checked = 0;
    std::set<std::string> served;
    for (const auto& route : routes()) served.insert(route.method + " " + route.pattern);
    std::set<std::string> documented;
    for (const auto& [route, access] : kDocumentedAccess) documented.insert(route);
    ASSERT_EQ(served, documented) << "every served route has its documented access";
    for (const auto& route : routes()) {
        const std::string access = kDocumentedAccess.at(route.method + " " + route.pattern);
        const bool is_public = access == "public";
        const std::string target = concrete(route.pattern);
        const std::map<std::string, std::string> headers = {{"if-match", "\"v999\""},
                                                            {"content-type", "application/json"}};
        for (const std::string& token : {std::string(), std::string("kkt_not-a-real-token")}) {
            const auto response = call(route.method, target, token, headers, "{}");
            expect_private(response, route.pattern);
            if (is_public) {
                EXPECT_NE(response.status, 401) << route.pattern;
            } else {
                EXPECT_EQ(response.status, 401)
                    << route.method << " " << route.pattern << " token '" << token << "'";
                EXPECT_EQ(header(response, "Content-Type"), "application/problem+json");
            }
            ++checked;
        }
        for (const auto& [role, token] : tokens_) {
            const auto response = call(route.method, target, token, headers,
                                       route.id == RouteId::create_token ? "" : "{}");
            expect_private(response, route.pattern);
            if (!is_public && access.find(role_letter(role)) != std::string::npos) {
                EXPECT_NE(response.status, 401) << route.pattern << " " << auth::role_name(role);
                EXPECT_NE(response.status, 403)
                    << route.pattern << " " << auth::role_name(role) << ": " << response.body;
            } else if (!is_public) {
                EXPECT_EQ(response.status, 403) << route.pattern << " " << auth::role_name(role);
                EXPECT_EQ(response.body.find("koho"), std::string::npos);
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, static_cast<int>(routes().size()) * 7);
    EXPECT_EQ(call("GET", "/v1/nothing-here", tokens_[auth::Role::admin]).status, 404);
    EXPECT_EQ(call("DELETE", "/v1/queue", tokens_[auth::Role::admin]).status, 405);
}

// Issue 20: /readyz is separate from /healthz and names what is not ready: no worker pass yet,
// a worker that has not passed for 30 s, a ledger key no longer readable on disk.
TEST_F(Api, ReadinessNamesWhatIsNotReady) {
    auto readiness = [&] {
        const auto response = call("GET", "/readyz");
        return std::make_pair(response.status, json::parse(response.body));
    };
    auto [status, body] = readiness();
    EXPECT_EQ(status, 503) << "no worker pass yet";
    EXPECT_EQ(body["checks"]["worker"]["ok"], false) << body;
    ASSERT_TRUE(worker_->run_pass().is_ok());
    std::tie(status, body) = readiness();
    EXPECT_EQ(status, 200) << body;
    EXPECT_EQ(body["status"], "ready");
    for (const char* check : {"store", "worker", "disk", "ledger_key"})
        EXPECT_EQ(body["checks"][check]["ok"], true) << check;
    EXPECT_EQ(call("GET", "/healthz").status, 200);

    now_ms_ += 31'000;  // the worker stuck for 31 s
    std::tie(status, body) = readiness();
    EXPECT_EQ(status, 503);
    EXPECT_EQ(body["checks"]["worker"]["ok"], false) << body;
    EXPECT_EQ(call("GET", "/healthz").status, 200) << "alive all the same";
    ASSERT_TRUE(worker_->run_pass().is_ok());
    EXPECT_EQ(readiness().first, 200);

    const auto key = services_->ledger_key_file();
    std::filesystem::rename(key, key.string() + ".away");
    std::tie(status, body) = readiness();
    std::filesystem::rename(key.string() + ".away", key);
    EXPECT_EQ(status, 503);
    EXPECT_EQ(body["checks"]["ledger_key"]["ok"], false) << body;
    EXPECT_EQ(body.dump().find(key.parent_path().string()), std::string::npos)
        << "a public answer names no path";
    EXPECT_EQ(readiness().first, 200);
}

TEST_F(Api, PiiIsDisclosedOnlyAfterTheDisclosureIsDurable) {
    auto response = call("GET", "/v1/applications/" + application_,
                         tokens_[auth::Role::operator_role], {{"x-request-id", "req-42"}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(header(response, "X-Request-Id"), "req-42");
    EXPECT_EQ(header(response, "ETag"),
              "\"v" +
                  std::to_string(workflow::load_application(*store_, application_)->version.value) +
                  "\"");
    const json body = json::parse(response.body);
    EXPECT_EQ(body["contact"]["organization"], "医療法人社団 桜会 さくら病院");
    auto logged = disclosures();
    ASSERT_EQ(logged.size(), 1u);
    const json disclosure = json::parse(logged[0].payload_json);
    EXPECT_EQ(disclosure["principal"], "operator-1");
    EXPECT_EQ(disclosure["role"], "operator");
    EXPECT_EQ(disclosure["request_id"], "req-42");
    EXPECT_EQ(disclosure["remote"], "192.0.2.10");
    EXPECT_EQ(disclosure["endpoint"], "GET /v1/applications/{id}");
    EXPECT_EQ(disclosure["applications"], json::array({application_}));
    EXPECT_EQ(disclosure["fields"],
              json::array({"organization", "contact_email", "sender", "sender_name", "filename",
                           "usage_other", "remarks"}));
    EXPECT_EQ(body["application_date"], "2025-06-10") << body;
    EXPECT_EQ(body["consent"], "同意する") << body;

    // An auditor sees masks and discloses nothing; one granted PII access is recorded.
    auto masked = call("GET", "/v1/applications/" + application_, tokens_[auth::Role::auditor]);
    ASSERT_EQ(masked.status, 200);
    EXPECT_EQ(json::parse(masked.body)["contact"]["organization"], "***");
    EXPECT_EQ(masked.body.find("koho"), std::string::npos);
    EXPECT_EQ(disclosures().size(), 1u);
    ASSERT_EQ(call("GET", "/v1/applications/" + application_, auditor_with_pii_).status, 200);
    EXPECT_EQ(disclosures().size(), 2u);
    // The queue and the event pages carry no PII in clear, and record nothing.
    const auto queue = call("GET", "/v1/queue", tokens_[auth::Role::operator_role]);
    const auto events = call("GET", "/v1/applications/" + application_ + "/events",
                             tokens_[auth::Role::operator_role]);
    for (const auto* page : {&queue, &events}) {
        EXPECT_EQ(page->status, 200);
        EXPECT_EQ(page->body.find("koho"), std::string::npos);
        EXPECT_EQ(page->body.find("さくら"), std::string::npos);
    }
    EXPECT_EQ(disclosures().size(), 2u);
}

// The mutant "no PiiDisclosed when a supervisor reads" survived: disclosures were tested for
// operators and auditors only. One table: every kind of principal, whether it may read the
// application, whether it sees PII, and so whether exactly one disclosure naming it is recorded.
TEST_F(Api, EveryPrincipalThatSeesPiiIsRecordedAndNoOtherIs) {
    struct Reader {
        const char* name;
        std::string token;
        int status;
        bool sees_pii;
    };
    const std::vector<Reader> readers = {
        {"operator-1", tokens_[auth::Role::operator_role], 200, true},
        {"supervisor-1", tokens_[auth::Role::supervisor], 200, true},
        {"auditor-1", tokens_[auth::Role::auditor], 200, false},
        {"auditor-pii", auditor_with_pii_, 200, true},
        {"responder-1", tokens_[auth::Role::responder], 403, false},
        {"admin-1", tokens_[auth::Role::admin], 403, false},
    };
    for (const auto& reader : readers) {
        const auto before = disclosures().size();
        const auto response = call("GET", "/v1/applications/" + application_, reader.token);
        EXPECT_EQ(response.status, reader.status) << reader.name;
        const bool shown = response.body.find("さくら病院") != std::string::npos;
        EXPECT_EQ(shown, reader.sees_pii) << reader.name;
        const auto after = disclosures();
        ASSERT_EQ(after.size(), before + (reader.sees_pii ? 1 : 0)) << reader.name;
        if (reader.sees_pii) {
            EXPECT_EQ(json::parse(after.back().payload_json)["principal"], reader.name);
            // In the log before the answer was handed over, not merely by the time it arrived.
            EXPECT_LE(after.back().seq.value, head_when_answered_.value) << reader.name;
        }
    }
}

// Issue 12: staff search by organisation however the applicant wrote it (full-width, katakana,
// spaces), and see the names of the rows on their screen; the queue stays free of personal data,
// and every name answered is recorded first, naming the applications and the field.
TEST_F(Api, OrganisationNamesAndSearchAreRecordedAndFindANameHoweverItIsWritten) {
    const std::string abc = paired("pr@abc-shoji.example.co.jp", "forms/valid_fullwidth_org.xlsx");
    start_api();
    const std::string& sato = tokens_[auth::Role::operator_role];
    auto search = [&](const std::string& text) {
        const auto reply = call("GET", "/v1/queue/organizations?search=" + text, sato);
        EXPECT_EQ(reply.status, 200) << reply.body;
        expect_private(reply, text);
        return json::parse(reply.body);
    };
    // "ＡＢＣ商事株式会社" by half-width lower case; "医療法人社団 桜会 さくら病院" by katakana,
    // half-width katakana and without its space.
    EXPECT_EQ(
        search("abc%E5%95%86%E4%BA%8B")["items"],
        json::parse(R"([{"application":")" + abc + R"(","organization":"ＡＢＣ商事株式会社"}])"));
    for (const std::string text :
         {"%E3%82%B5%E3%82%AF%E3%83%A9%E7%97%85%E9%99%A2",     // サクラ病院
          "%EF%BD%BB%EF%BD%B8%EF%BE%97",                       // ｻｸﾗ
          "%E6%A1%9C%E4%BC%9A%E3%81%95%E3%81%8F%E3%82%89"}) {  // 桜会さくら
        const json found = search(text);
        ASSERT_EQ(found["total"], 1) << text << found;
        EXPECT_EQ(found["items"][0]["application"], application_);
        EXPECT_EQ(found["items"][0]["organization"], "医療法人社団 桜会 さくら病院");
    }
    const auto recorded = disclosures();
    ASSERT_FALSE(recorded.empty());
    const json last = json::parse(recorded.back().payload_json);
    EXPECT_EQ(last["applications"], json::array({application_}));
    EXPECT_EQ(last["fields"], json::array({"organization"}));
    EXPECT_EQ(last["endpoint"], "GET /v1/queue/organizations");

    // The names of the rows on screen: unknown ids are left out, both known ones disclosed.
    const auto names =
        call("GET", "/v1/queue/organizations?applications=" + application_ + ",nope," + abc, sato);
    ASSERT_EQ(names.status, 200) << names.body;
    EXPECT_EQ(json::parse(names.body)["total"], 2);
    EXPECT_EQ(json::parse(disclosures().back().payload_json)["applications"],
              json::array({application_, abc}));
    // Nothing found: nothing disclosed, nothing recorded.
    const std::size_t before = disclosures().size();
    EXPECT_EQ(search("zzz")["total"], 0);
    EXPECT_EQ(disclosures().size(), before);
    // A form whose name cannot be opened is passed over and counted; search goes on.
    ASSERT_TRUE(
        store_
            ->append(domain::application_stream("broken0000000000000"), ExpectedVersion::any(),
                     {domain::new_event(domain::FormParsed{.application_date = "2026-11-20",
                                                           .pii_fields = {"organization"},
                                                           .pii_sealed = "bm90IHNlYWxlZA=="},
                                        {.actor = "test"})})
            .is_ok());
    const json after_damage = search("abc");
    EXPECT_EQ(after_damage["total"], 1) << after_damage;
    EXPECT_EQ(after_damage["unreadable"], 1) << after_damage;
    // An erased organisation cannot be found any more.
    ASSERT_TRUE(run(abc, "erase", {{"reason", "本人の求め"}}).is_ok());
    EXPECT_EQ(search("abc")["total"], 0);
    // Who may ask, and how not to.
    EXPECT_EQ(
        call("GET", "/v1/queue/organizations?search=abc", tokens_[auth::Role::auditor]).status,
        403);
    EXPECT_EQ(call("GET", "/v1/queue/organizations?search=a&applications=x", sato).status, 400);
    EXPECT_EQ(call("GET", "/v1/queue/organizations?search=%20%E3%80%80", sato).status, 400);
    EXPECT_EQ(call("GET", "/v1/queue/organizations", sato).status, 400);
}

// The operator's GET of the application through the served composition with its store swapped
// for `store`, over the same data directory opened read-only (`read_only`): reads work, and
// whether an append (the disclosure) does is the store's.
HttpResponse detail_through(EventStore& store, std::shared_ptr<Database> read_only,
                            const std::filesystem::path& directory, const AeadKey& master,
                            Services& services, const std::string& application,
                            const std::string& operator_token) {
    auto vault = DataKeyVault::open(read_only, master,
                                    ErasureJournal::open({directory / "erasures.journal"}).value())
                     .value();
    auth::PrincipalRegistry principals(store, {});
    EXPECT_TRUE(principals.load().is_ok());
    ApiDependencies dependencies = dependencies_of(services);
    ApiService api({store, *vault, dependencies.intake, dependencies.commands, dependencies.config,
                    principals, dependencies.worker, dependencies.read_models, dependencies.ledger,
                    dependencies.disclosures, dependencies.backups, dependencies.witnessing,
                    dependencies.retention, dependencies.clock_ms, dependencies.ledger_key_file});
    return answer_of(api, HttpRequest{"GET",
                                      "/v1/applications/" + application,
                                      {{"authorization", "Bearer " + operator_token}},
                                      "",
                                      "192.0.2.1",
                                      false});
}

TEST_F(Api, WhenTheDisclosureCannotBeRecordedTheAnswerIs503WithoutPii) {
    auto read_only = Database::open({.directory = directory_, .read_only = true}).value();
    auto store = EventStore::open(read_only).value();
    const auto response = detail_through(*store, read_only, directory_, master_, *services_,
                                         application_, tokens_[auth::Role::operator_role]);
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.body.find("koho"), std::string::npos);
    EXPECT_EQ(response.body.find("さくら"), std::string::npos);
    EXPECT_NE(response.body.find("disclosure_not_recorded"), std::string::npos);
}

// A standby of a replicated log (docs/replication.md) cannot record a disclosure, so it shows no
// personal data: the same 503, with the reason naming the primary.
class NoPublishing final : public ReplicationSink {
  public:
    Status publish(Seq, const std::vector<std::string>&) override {
        ADD_FAILURE() << "a standby published";
        return Status::internal("published");
    }
};

TEST_F(Api, AStandbyShowsNoPiiBecauseItCannotRecordTheDisclosure) {
    auto read_only = Database::open({.directory = directory_, .read_only = true}).value();
    auto standby =
        EventStore::open(read_only, {.replication = std::make_shared<NoPublishing>()}).value();
    standby->step_down("this node is a standby; node b holds the lease and is the primary");
    const auto response = detail_through(*standby, read_only, directory_, master_, *services_,
                                         application_, tokens_[auth::Role::operator_role]);
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.body.find("koho"), std::string::npos);
    EXPECT_EQ(response.body.find("さくら"), std::string::npos);
    EXPECT_NE(response.body.find("disclosure_not_recorded"), std::string::npos);
    EXPECT_NE(response.body.find("node b holds the lease"), std::string::npos) << response.body;
}

// serve listens before its read models have folded the log (minutes on a first start over a long
// log): the routes that read them say so, with 503 catching_up and a Retry-After, instead of
// answering from half a fold — an incomplete "who saw" would be a wrong answer. What reads the
// log itself (an application) answers; /readyz names the progress.
TEST_F(Api, WhileTheReadModelsFoldTheRoutesThatReadThemAnswerCatchingUp) {
    const std::string second = paired("info@midori-clinic.example.jp");
    const std::uint64_t head = store_->head().value;
    auto api_head_at_start = [head] { return head; };
    api_ = std::make_unique<ApiService>(*services_);  // started behind: `second` is not folded
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    auto queue = call("GET", "/v1/queue", operator_token);
    EXPECT_EQ(queue.status, 503);
    EXPECT_NE(queue.body.find("catching_up"), std::string::npos) << queue.body;
    EXPECT_EQ(header(queue, "Retry-After"), "5");
    // How far: nothing folds right now, so the least position of the read models, of the head.
    EXPECT_NE(queue.body.find(" of " + std::to_string(api_head_at_start()) + " events folded"),
              std::string::npos)
        << queue.body;
    EXPECT_EQ(call("GET", "/v1/incidents", tokens_[auth::Role::responder]).status, 503);
    EXPECT_EQ(call("GET", "/v1/inbox", operator_token).status, 503);
    EXPECT_EQ(call("GET", "/v1/applications/" + second, operator_token).status, 200);
    auto ready = call("GET", "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(json::parse(ready.body)["checks"]["projections"]["ok"], false) << ready.body;

    ASSERT_TRUE(worker_->refresh().is_ok());
    queue = call("GET", "/v1/queue", operator_token);
    EXPECT_EQ(queue.status, 200);
    EXPECT_NE(queue.body.find(second), std::string::npos);
    EXPECT_EQ(json::parse(call("GET", "/readyz").body)["checks"]["projections"]["ok"], true);
}

TEST_F(Api, CommandsNeedIfMatchAndRepeatIdempotently) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string target = "/v1/applications/" + application_ + "/commands/assign";
    const std::string body = R"({"assignee":"sato"})";
    EXPECT_EQ(call("POST", target, operator_token, {}, body).status, 428);
    EXPECT_EQ(call("POST", target, operator_token, {{"if-match", "\"v1\""}}, body).status, 412);
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    const auto first = call("POST", target, operator_token,
                            {{"if-match", etag}, {"idempotency-key", "once"}}, body);
    ASSERT_EQ(first.status, 200) << first.body;
    const Seq head = store_->head();
    const auto repeat = call("POST", target, operator_token,
                             {{"if-match", etag}, {"idempotency-key", "once"}}, body);
    EXPECT_EQ(repeat.status, 200);
    EXPECT_EQ(json::parse(repeat.body)["version"], json::parse(first.body)["version"]);
    EXPECT_EQ(json::parse(repeat.body)["repeated"], true);
    EXPECT_EQ(store_->head(), head) << "a repeat appends nothing";
    EXPECT_EQ(
        call("POST", "/v1/applications/" + application_ + "/commands/withdraw", operator_token,
             {{"if-match", header(first, "ETag")}, {"idempotency-key", "once"}},
             R"({"reason":"x"})")
            .status,
        422);
    // Illegal transition: 409 naming the state.
    const auto illegal = call("POST", "/v1/applications/" + application_ + "/commands/revoke_url",
                              tokens_[auth::Role::supervisor],
                              {{"if-match", header(first, "ETag")}}, R"({"reason":"x"})");
    EXPECT_EQ(illegal.status, 409);
    EXPECT_NE(illegal.body.find("validated"), std::string::npos);
}

// Defect (#12): the worker's own events (a mail sent, a timer) moved the ETag, so a member of
// staff got 412 "someone changed it" when nobody had. Reports move the stream, not the decision.
TEST_F(Api, TheWorkersReportsDoNotMakeAStaffETagStaleButAColleaguesDecisionDoes) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string base = "/v1/applications/" + application_;
    const auto read = call("GET", base, operator_token);
    ASSERT_EQ(read.status, 200);
    const std::string etag = header(read, "ETag");
    // The worker reports: a mail delivered, a reminder timer fired.
    ASSERT_TRUE(store_
                    ->append(domain::application_stream(application_), ExpectedVersion::any(),
                             {domain::new_event(domain::MailSent{"m-1", 1, "<m-1@kakitome>"}),
                              domain::new_event(domain::SlaDue{"2026-12-03", 5})})
                    .is_ok());
    const auto reread = call("GET", base, operator_token);
    EXPECT_EQ(header(reread, "ETag"), etag) << "reports do not move the ETag";
    EXPECT_GT(json::parse(reread.body)["stream_version"].get<std::uint64_t>(),
              json::parse(reread.body)["version"].get<std::uint64_t>());
    const auto assigned = call("POST", base + "/commands/assign", operator_token,
                               {{"if-match", etag}}, R"({"assignee":"sato"})");
    ASSERT_EQ(assigned.status, 200) << assigned.body;
    // A colleague's decision does make it stale.
    EXPECT_EQ(call("POST", base + "/commands/assign", operator_token, {{"if-match", etag}},
                   R"({"assignee":"sato"})")
                  .status,
              412);
    // A report that changes the state does move it: after the first download (url_issued ->
    // downloaded) a decision made on the issued state must not pass; a second download does not.
    const auto approved = call("POST", base + "/commands/approve", operator_token,
                               {{"if-match", header(assigned, "ETag")}}, "{}");
    ASSERT_EQ(approved.status, 200) << approved.body;
    const std::string token =
        workflow::load_application(*store_, application_)->urls.at(0).token_sha256;
    const auto download = [&] {
        ASSERT_TRUE(store_
                        ->append(domain::application_stream(application_), ExpectedVersion::any(),
                                 {domain::new_event(domain::UrlDownloaded{.token_sha256 = token})})
                        .is_ok());
    };
    download();
    const std::string after_first = header(call("GET", base, operator_token), "ETag");
    EXPECT_NE(after_first, header(approved, "ETag")) << "the state changed to downloaded";
    download();
    EXPECT_EQ(header(call("GET", base, operator_token), "ETag"), after_first);
    // The queue row carries the same version as the ETag (the console sends it as If-Match).
    QueueProjection queue(config_);
    ASSERT_TRUE(rebuild_projection(*store_, queue, store_->head()).is_ok());
    bool found = false;
    for (const auto& entry : queue.entries(0)) {
        if (entry.application != application_) continue;
        found = true;
        EXPECT_EQ("\"v" + std::to_string(entry.version.value) + "\"", after_first);
    }
    EXPECT_TRUE(found);
}

// Defect: a key reused with another body replayed the first result (only application and
// command were compared).
TEST_F(Api, AnIdempotencyKeyReusedForAnotherRequestIs422) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string target = "/v1/applications/" + application_ + "/commands/assign";
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    const auto first =
        call("POST", target, operator_token, {{"if-match", etag}, {"idempotency-key", "k1"}},
             R"({"assignee":"sato"})");
    ASSERT_EQ(first.status, 200) << first.body;
    const Seq head = store_->head();
    const auto other =
        call("POST", target, operator_token, {{"if-match", etag}, {"idempotency-key", "k1"}},
             R"({"assignee":"suzuki"})");
    EXPECT_EQ(other.status, 422) << other.body;
    EXPECT_NE(other.body.find("idempotency_key_reused"), std::string::npos);
    // The same request, spelt with other white space, is a repeat.
    const auto same =
        call("POST", target, operator_token, {{"if-match", etag}, {"idempotency-key", "k1"}},
             "{ \"assignee\" : \"sato\" }");
    EXPECT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(json::parse(same.body)["repeated"], true);
    EXPECT_EQ(store_->head(), head);
}

// Defect: unknown codes were accepted and mailed to the applicant verbatim.
TEST_F(Api, RejectionsTakeOnlyKnownReasonCodes) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string target = "/v1/applications/" + application_ + "/commands/reject";
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    const Seq head = store_->head();
    for (const char* body :
         {R"({"codes":["not_a_code"]})", R"({"codes":["consent_not_given","<script>"]})"}) {
        const auto refused = call("POST", target, operator_token, {{"if-match", etag}}, body);
        EXPECT_EQ(refused.status, 400) << body;
        EXPECT_NE(refused.body.find("unknown_reason_code"), std::string::npos) << refused.body;
    }
    EXPECT_EQ(call("POST", "/v1/applications/" + application_ + "/commands/request_correction",
                   operator_token, {{"if-match", etag}}, R"({"codes":["nope"]})")
                  .status,
              400);
    EXPECT_EQ(store_->head(), head) << "nothing is appended or mailed";
    EXPECT_EQ(call("POST", target, operator_token, {{"if-match", etag}},
                   R"({"codes":["consent_not_given"]})")
                  .status,
              200);
}

// Defect: any principal name was accepted ("../../etc 山田\n"), after which its reads failed.
TEST_F(Api, PrincipalNamesArePlainAndTheEnginesNamesAreReserved) {
    const std::string& admin = tokens_[auth::Role::admin];
    const Seq head = store_->head();
    for (const std::string& name :
         {std::string("../../etc 山田\n"), std::string("Upper"), std::string("-dash"),
          std::string(65, 'a'), std::string("system"), std::string("cli"), std::string("")}) {
        const auto refused = call("POST", "/v1/tokens", admin, {},
                                  json{{"name", name}, {"role", "operator"}}.dump());
        EXPECT_EQ(refused.status, 400) << name;
        EXPECT_NE(refused.body.find("invalid_principal_name"), std::string::npos) << name;
    }
    EXPECT_EQ(call("POST", "/v1/tokens", admin, {},
                   R"({"name":"tanaka","role":"operator","pii_access":"yes"})")
                  .status,
              400);
    EXPECT_EQ(call("POST", "/v1/tokens", admin, {},
                   R"({"name":"tanaka","role":"operator","display_name":"a\u0007b"})")
                  .status,
              400);
    EXPECT_EQ(store_->head(), head);
    const auto created =
        call("POST", "/v1/tokens", admin, {},
             R"({"name":"yamada.t","role":"operator","display_name":"山田 太郎"})");
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(json::parse(created.body)["display_name"], "山田 太郎");
}

// Defect: assign accepted any string (a 900 KB assignee went into the log and every queue page).
TEST_F(Api, AssigneesAreActiveStaffPrincipals) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string target = "/v1/applications/" + application_ + "/commands/assign";
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    const Seq head = store_->head();
    for (const std::string& assignee : {std::string("nobody"), std::string(900 * 1024, 'x'),
                                        std::string("auditor-1"), std::string("responder-1")}) {
        const auto refused = call("POST", target, operator_token, {{"if-match", etag}},
                                  json{{"assignee", assignee}}.dump());
        EXPECT_EQ(refused.status, 400) << assignee.substr(0, 20);
        EXPECT_NE(refused.body.find("unknown_assignee"), std::string::npos);
    }
    EXPECT_EQ(store_->head(), head);
    std::string current = etag;
    for (const char* staff : {"operator-1", "supervisor-1"}) {
        const auto assigned = call("POST", target, operator_token, {{"if-match", current}},
                                   json{{"assignee", staff}}.dump());
        EXPECT_EQ(assigned.status, 200) << assigned.body;
        current = header(assigned, "ETag");
    }
}

// Defect: a staff directory that could not be read answered "no", so a colleague was refused
// as unknown_assignee (400: the client's fault) when the server could not look. Here the
// principals stream holds an event a newer kakitome wrote, which this one cannot read.
TEST_F(Api, AnUnreadableStaffDirectoryIsTheServersErrorNotAnUnknownAssignee) {
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    ASSERT_TRUE(store_
                    ->append(std::string(domain::kPrincipalsStream), ExpectedVersion::any(),
                             {NewEvent{"TokenCreated", "{}", 99}})
                    .is_ok());
    const Seq head = store_->head();
    const auto refused =
        call("POST", "/v1/applications/" + application_ + "/commands/assign", operator_token,
             {{"if-match", etag}}, json{{"assignee", "operator-1"}}.dump());
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("staff_directory_unreadable"), std::string::npos) << refused.body;
    EXPECT_EQ(store_->head(), head);
}

// Defects: 405 without Allow; "bearer" refused (the scheme is case-insensitive, RFC 9110
// section 11.1); unknown query parameters silently ignored.
TEST_F(Api, HttpConformanceAllowBearerSchemeAndUnknownParameters) {
    const std::string& auditor = tokens_[auth::Role::auditor];
    const auto wrong_method = call("DELETE", "/v1/queue", auditor);
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(header(wrong_method, "Allow"), "GET");
    EXPECT_EQ(header(call("PUT", "/v1/incidents", tokens_[auth::Role::responder]), "Allow"),
              "GET, POST");
    for (const std::string scheme : {"bearer ", "BEARER ", "Bearer  "}) {
        HttpRequest request{"GET", "/v1/queue",  {{"authorization", scheme + auditor}},
                            "",    "192.0.2.10", false};
        EXPECT_EQ(answer_of(*api_, request).status, 200) << scheme;
    }
    HttpRequest basic{"GET", "/v1/queue",  {{"authorization", "Basic " + auditor}},
                      "",    "192.0.2.10", false};
    EXPECT_EQ(answer_of(*api_, basic).status, 401);
    const auto typo = call("GET", "/v1/queue?limt=5", auditor);
    EXPECT_EQ(typo.status, 400);
    EXPECT_NE(typo.body.find("unknown_query_parameter"), std::string::npos);
    EXPECT_NE(typo.body.find("limit, after"), std::string::npos) << "names what it takes";
    EXPECT_EQ(call("GET", "/v1/events?from=1&evil=1", auditor).status, 400);
    EXPECT_EQ(call("GET", "/healthz?x=1").status, 400);
    EXPECT_EQ(call("GET", "/v1/queue?limit=5", auditor).status, 200);
    // Issue 14 §2.4: a 5,000-character id answered with the store's internal stream-name limit.
    const std::string long_id(5000, 'a');
    for (const auto& [target, token] : std::vector<std::pair<std::string, std::string>>{
             {"/v1/applications/" + long_id, auditor},
             {"/v1/applications/" + long_id + "/events", auditor},
             {"/v1/incidents/who-saw/" + long_id, tokens_[auth::Role::responder]},
             {"/d/" + long_id, ""}}) {
        const auto answer = call("GET", target, token);
        EXPECT_EQ(answer.status, 404) << target.substr(0, 40) << ": " << answer.body;
        EXPECT_EQ(answer.body.find("stream"), std::string::npos) << answer.body;
        EXPECT_NE(answer.body.find("longer than 128 characters"), std::string::npos) << answer.body;
    }
}

// Defects: scope accepted unknown ids and silently replaced the earlier scope; notify accepted
// applications outside the scope.
TEST_F(Api, IncidentScopesGrowUnlessReplacedWithAReasonAndNotifyStaysInScope) {
    const auto second = paired("second@example.jp");
    start_api();
    const std::string& responder = tokens_[auth::Role::responder];
    const auto reported = call(
        "POST", "/v1/incidents", responder, {},
        R"({"description":"cache","from":"2026-11-01T00:00:00+09:00","to":"2026-11-30T00:00:00+09:00"})");
    ASSERT_EQ(reported.status, 201) << reported.body;
    const std::string incident = json::parse(reported.body)["incident"];
    const std::string steps = "/v1/incidents/" + incident + "/steps/";
    const Seq head = store_->head();
    const auto unknown = call("POST", steps + "scope", responder, {},
                              json{{"applications", {application_, "no-such-app"}}}.dump());
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(unknown.body.find("no-such-app"), std::string::npos) << unknown.body;
    EXPECT_EQ(
        call("POST", steps + "notify", responder, {}, json{{"application", application_}}.dump())
            .status,
        400)
        << "nothing is in scope yet";
    EXPECT_EQ(store_->head(), head);
    ASSERT_EQ(
        call("POST", steps + "scope", responder, {}, json{{"applications", {application_}}}.dump())
            .status,
        200);
    ASSERT_EQ(call("POST", steps + "scope", responder, {}, json{{"applications", {second}}}.dump())
                  .status,
              200);
    auto loaded = load_incident(*store_, incident);
    ASSERT_TRUE(loaded.is_ok());
    EXPECT_EQ(loaded->scope, (std::vector<std::string>{application_, second})) << "additive";
    EXPECT_EQ(call("POST", steps + "scope", responder, {},
                   json{{"applications", {second}}, {"replace", true}}.dump())
                  .status,
              400)
        << "replacing needs a reason";
    EXPECT_EQ(call("POST", steps + "scope", responder, {},
                   json{{"applications", {second}}, {"replace", "true"}, {"reason", "r"}}.dump())
                  .status,
              400)
        << "replace is a boolean, not a 500";
    ASSERT_EQ(
        call("POST", steps + "scope", responder, {},
             json{{"applications", {second}}, {"replace", true}, {"reason", "誤って追加"}}.dump())
            .status,
        200);
    EXPECT_EQ(load_incident(*store_, incident)->scope, (std::vector<std::string>{second}));
    EXPECT_EQ(
        call("POST", steps + "notify", responder, {}, json{{"application", application_}}.dump())
            .status,
        400)
        << "no longer in scope";
    EXPECT_EQ(
        call("POST", steps + "notify", responder, {}, json{{"application", second}}.dump()).status,
        200);
}

TEST_F(Api, AfterTheUsagePeriodOnlyASupervisorMayApproveWithAJustification) {
    close();
    config_.usage_period = {"2025-05-19", "2026-03-31"};  // ended; now is 2026-11-24
    open();
    start_api();
    const std::string target = "/v1/applications/" + application_ + "/commands/approve";
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, tokens_[auth::Role::operator_role]),
               "ETag");
    EXPECT_EQ(call("POST", target, tokens_[auth::Role::operator_role], {{"if-match", etag}},
                   R"({"justification":"x"})")
                  .status,
              403);
    const auto unjustified =
        call("POST", target, tokens_[auth::Role::supervisor], {{"if-match", etag}}, "{}");
    EXPECT_EQ(unjustified.status, 409);
    EXPECT_NE(unjustified.body.find("usage_period_ended"), std::string::npos);
    EXPECT_EQ(call("POST", target, tokens_[auth::Role::supervisor], {{"if-match", etag}},
                   R"({"justification":"延長が決まったため"})")
                  .status,
              200);
}

// Defect: the operator's role was checked before the Idempotency-Key's record, so an approval
// made on the period's last day and retried the next morning (its answer lost) got 403.
TEST_F(Api, AnOperatorsApprovalRetriedAfterThePeriodEndedGetsItsRecordedOutcome) {
    close();
    config_.usage_period = {"2025-05-19", "2026-11-24"};  // today is the last day
    open();
    start_api();
    const std::string& operator_token = tokens_[auth::Role::operator_role];
    const std::string target = "/v1/applications/" + application_ + "/commands/approve";
    const std::string etag =
        header(call("GET", "/v1/applications/" + application_, operator_token), "ETag");
    const std::map<std::string, std::string> headers = {{"if-match", etag},
                                                        {"idempotency-key", "approve-once"}};
    const auto approved = call("POST", target, operator_token, headers, "{}");
    ASSERT_EQ(approved.status, 200) << approved.body;
    set_now("2026-11-25T09:00:00+09:00");
    const Seq head = store_->head();
    const auto retried = call("POST", target, operator_token, headers, "{}");
    EXPECT_EQ(retried.status, 200) << retried.body;
    EXPECT_EQ(header(retried, "Idempotent-Replayed"), "true");
    EXPECT_EQ(header(retried, "ETag"), header(approved, "ETag"));
    EXPECT_EQ(store_->head(), head) << "a retry appends nothing";
    // A new request is judged now: the period is over.
    auto fresh = headers;
    fresh["idempotency-key"] = "approve-again";
    EXPECT_EQ(call("POST", target, operator_token, fresh, "{}").status, 403);
}

TEST_F(Api, OverridesRevocationAndErasureNeedASupervisor) {
    const auto rejected = paired("reject@example.jp", "forms/invalid_no_consent.xlsx");
    start_api();
    const std::string etag = header(
        call("GET", "/v1/applications/" + rejected, tokens_[auth::Role::operator_role]), "ETag");
    const std::string target = "/v1/applications/" + rejected + "/commands/";
    const std::string justification = R"({"justification":"電話で同意を確認"})";
    EXPECT_EQ(call("POST", target + "approve", tokens_[auth::Role::operator_role],
                   {{"if-match", etag}}, justification)
                  .status,
              403);
    EXPECT_EQ(call("POST", target + "erase", tokens_[auth::Role::operator_role],
                   {{"if-match", etag}}, R"({"reason":"r"})")
                  .status,
              403);
    const auto approved = call("POST", target + "approve", tokens_[auth::Role::supervisor],
                               {{"if-match", etag}}, justification);
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_EQ(json::parse(approved.body)["state"], "url_issued");
    const auto revoked =
        call("POST", target + "revoke_url", tokens_[auth::Role::supervisor],
             {{"if-match", header(approved, "ETag")}}, R"({"reason":"wrong address"})");
    EXPECT_EQ(revoked.status, 200) << revoked.body;
}

TEST_F(Api, DownloadsMailAndPagingBehave) {
    ASSERT_TRUE(run(application_, "approve").is_ok());
    const auto redirect = call("GET", "/d/" + token_mailed_to(application_));
    EXPECT_EQ(redirect.status, 302);
    EXPECT_EQ(header(redirect, "Location").rfind("https://kenpo-video.s3.", 0), 0u);
    expect_private(redirect, "/d/");
    EXPECT_EQ(call("GET", "/d/" + std::string(43, 'B')).status, 404);

    const std::string& operator_token = tokens_[auth::Role::operator_role];
    EXPECT_EQ(
        call("POST", "/v1/mail", operator_token, {{"content-type", "text/plain"}}, "x").status,
        415);
    const auto mail =
        call("POST", "/v1/mail", operator_token, {{"content-type", "message/rfc822"}},
             form_mail("api@example.jp", "api-form-1@example.jp", "pw", "forms/valid_basic.xlsx"));
    EXPECT_EQ(mail.status, 201) << mail.body;
    EXPECT_EQ(json::parse(mail.body)["classification"], "form");

    const std::string& auditor = tokens_[auth::Role::auditor];
    const auto first = json::parse(call("GET", "/v1/events?limit=5", auditor).body);
    ASSERT_EQ(first["items"].size(), 5u);
    EXPECT_EQ(first["next"], 6);
    const auto second = json::parse(call("GET", "/v1/events?from=6&limit=5", auditor).body);
    EXPECT_EQ(second["items"][0]["seq"], 6);
    EXPECT_EQ(call("GET", "/v1/events?limit=100000", auditor).status, 400);
    EXPECT_EQ(call("GET", "/v1/events?from=abc", auditor).status, 400);
    EXPECT_EQ(call("GET", "/v1/queue?after=nope", auditor).status, 400);
}

TEST_F(Api, MetricsAreValidPrometheusTextThatMoves) {
    const std::string& admin = tokens_[auth::Role::admin];
    const auto before = call("GET", "/metrics", admin);
    ASSERT_EQ(before.status, 200);
    EXPECT_EQ(header(before, "Content-Type"), "text/plain; version=0.0.4");
    auto value = [](const std::string& text, const std::string& name) {
        const auto at = text.find("\n" + name + " ");
        return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
    };
    ASSERT_TRUE(run(application_, "assign", {{"assignee", "sato"}}).is_ok());
    ASSERT_EQ(
        call("GET", "/v1/applications/" + application_, tokens_[auth::Role::operator_role]).status,
        200);
    const auto after = call("GET", "/metrics", admin).body;
    EXPECT_GE(value(after, "kakitome_appends_total"),
              value(before.body, "kakitome_appends_total") + 2);
    EXPECT_EQ(value(after, "kakitome_pii_disclosures_total"), 1);
    EXPECT_EQ(value(after, "kakitome_append_latency_seconds_count"),
              value(after, "kakitome_appends_total"));
    EXPECT_NE(after.find("kakitome_append_latency_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
    EXPECT_NE(after.find("kakitome_queue_applications{open=\"true\"} 1"), std::string::npos);
    for (const char* name :
         {"kakitome_sla_overdue", "kakitome_mails_sent_total", "kakitome_mails_failed_total"}) {
        EXPECT_GE(value(after, name), 0) << name;
    }
}

TEST_F(Api, RespondersRunAnIncidentThroughTheApi) {
    ApiService& api = *api_;
    const std::string& responder = tokens_[auth::Role::responder];
    auto send = [&](const std::string& method, const std::string& target,
                    const std::string& body = "") {
        return answer_of(api, HttpRequest{method,
                                          target,
                                          {{"authorization", "Bearer " + responder}},
                                          body,
                                          "192.0.2.5",
                                          false});
    };
    ASSERT_EQ(
        call("GET", "/v1/applications/" + application_, tokens_[auth::Role::operator_role]).status,
        200);
    ASSERT_TRUE(worker_->run_pass().is_ok());  // the disclosure index catches up
    const auto reported = send(
        "POST", "/v1/incidents",
        R"({"description":"test","from":"2026-11-24T00:00:00+09:00","to":"2026-11-25T00:00:00+09:00"})");
    ASSERT_EQ(reported.status, 201) << reported.body;
    const std::string id = json::parse(reported.body)["incident"];
    EXPECT_EQ(send("POST", "/v1/incidents/" + id + "/steps/scope",
                   R"({"registered_before":"2026-11-25T00:00:00+09:00"})")
                  .status,
              200);
    EXPECT_EQ(send("POST", "/v1/incidents/" + id + "/steps/notify",
                   R"({"application":")" + application_ + R"("})")
                  .status,
              200);
    EXPECT_EQ(send("POST", "/v1/incidents/" + id + "/steps/launch", "{}").status, 400);
    const auto review =
        send("GET",
             "/v1/incidents/"
             "review?from=2026-11-24T00:00:00%2B09:00&to=2026-11-25T00:00:00%2B09:00&incident=" +
                 id);
    ASSERT_EQ(review.status, 200) << review.body;
    const json body = json::parse(review.body);
    ASSERT_EQ(body["rows"].size(), 1u);
    EXPECT_EQ(body["rows"][0]["notified"], true);
    EXPECT_EQ(body["rows"][0]["disclosed_to_others"], false)
        << "an operator is an authorised staff role";
    const auto who = json::parse(send("GET", "/v1/incidents/who-saw/" + application_).body);
    ASSERT_EQ(who["disclosures"].size(), 1u);
    EXPECT_EQ(who["disclosures"][0]["principal"], "operator-1");
    EXPECT_EQ(send("POST", "/v1/incidents/" + id + "/steps/close", R"({"report":"nothing leaked"})")
                  .status,
              200);
    EXPECT_EQ(
        send("POST", "/v1/incidents/" + id + "/steps/notify", R"({"application":"x"})").status,
        409);
}

// What runs on the server's blocking threads: appends (they wait on an fsync) and the long
// rebuild of time travel; everything else stays on the I/O threads.
TEST(Routes, MatchSegmentsNameParametersAndKnowTheOtherMethodsOfAPath) {
    auto application = match_route("GET", "/v1/applications/a1");
    ASSERT_NE(application.route, nullptr);
    EXPECT_EQ(application.route->id, RouteId::application);
    EXPECT_EQ(application.parameters, (std::map<std::string, std::string>{{"id", "a1"}}));
    auto command = match_route("POST", "/v1/applications/a1/commands/approve");
    ASSERT_NE(command.route, nullptr);
    EXPECT_EQ(command.parameters,
              (std::map<std::string, std::string>{{"id", "a1"}, {"name", "approve"}}));
    // Empty segments are skipped; a trailing slash is not (only "/console/" takes one).
    EXPECT_NE(match_route("GET", "/v1//applications/a1").route, nullptr);
    EXPECT_EQ(match_route("GET", "/v1/applications/a1/").route, nullptr);
    EXPECT_NE(match_route("GET", "/console/").route, nullptr);
    EXPECT_EQ(match_route("GET", "/v1/applications").route, nullptr);
    EXPECT_EQ(match_route("GET", "/v1/applications/a1/commands").route, nullptr);
    auto wrong_method = match_route("GET", "/v1/applications/a1/commands/approve");
    EXPECT_EQ(wrong_method.route, nullptr);
    EXPECT_TRUE(wrong_method.path_known);
    EXPECT_EQ(wrong_method.allowed_methods, std::vector<std::string>{"POST"});
}

TEST(Routes, AppendsAndLongRunningRoutesRunOnBlockingThreads) {
    EXPECT_TRUE(route_blocks("POST", "/v1/applications/a1/commands/approve"));
    EXPECT_TRUE(route_blocks("GET", "/v1/applications/a1"));  // the key may be over the network
    EXPECT_TRUE(route_blocks("GET", "/v1/queue/as-of?at=2026-11-26T00:00:00Z"));
    EXPECT_FALSE(match_route("GET", "/v1/queue/as-of").route->appends) << "it only reads";
    EXPECT_FALSE(route_blocks("GET", "/v1/queue?limit=10"));
    EXPECT_FALSE(route_blocks("GET", "/console/app.js"));
}

TEST(OpenApi, DocumentsEveryRouteAndNothingElse) {
    std::set<std::string> served;
    for (const auto& route : routes()) served.insert(route.method + " " + route.pattern);
    const auto documented = testing::documented_routes();
    EXPECT_GE(documented.size(), 10u);
    EXPECT_EQ(served, documented);
}

}  // namespace
}  // namespace kakitome::api
