// The real server end to end (`kakitome serve` on 127.0.0.1):
// - behind nginx with an aggressive proxy_cache, two operators, an auditor and applicants
//   interleave 1,000 requests: nobody ever receives data meant for another principal, every
//   PII read and every download is in the log, and nginx's cache holds no PII; the same run
//   through a misconfigured nginx (ignoring Cache-Control and Vary) is caught leaking;
// - kill -9 during a burst of commands: after a restart every acknowledged command is in the
//   log exactly once;
// - SIGTERM stops it cleanly.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <regex>
#include <set>

#include "engine/office/office_document.h"
#include "fixtures.h"
#include "mail_builder.h"
#include "server_harness.h"

namespace kakitome::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Server : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        root_ = fs::temp_directory_path() /
                ("kakitome-server-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "mail");
        data_ = root_ / "data";
    }
    void TearDown() override { fs::remove_all(root_); }

    std::string kakitome(const std::string& arguments, int* exit_code = nullptr) {
        return run_command(std::string(KAKITOME_BINARY) + " " + arguments + " --data " +
                               data_.string() + " 2>/dev/null",
                           exit_code);
    }
    // Applicants 0..count-1 each mail a form and its password; returns sender -> application.
    std::map<std::string, std::string> ingest_applicants(int count) {
        for (int i = 0; i < count; ++i) {
            const std::string sender =
                "applicant" + std::to_string(i) + "@hospital" + std::to_string(i) + ".example.jp";
            const std::string password = "pw-" + std::to_string(i);
            const std::string encrypted =
                office::encrypt_document(read_fixture("forms/valid_basic.xlsx"), password,
                                         office::EncryptionMethod::agile, 1000)
                    .value();
            std::ofstream(root_ / "mail" / ("a" + std::to_string(i) + "_1.eml"))
                << build_mail(sender, encoded_word("PR 動画利用申請", "UTF-8"),
                              "form-" + std::to_string(i) + "@t.example",
                              "Content-Type: text/plain; charset=us-ascii\r\n", "",
                              {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
            std::ofstream(root_ / "mail" / ("a" + std::to_string(i) + "_2.eml"))
                << build_mail(sender, encoded_word("PR 動画利用申請", "UTF-8"),
                              "pw-" + std::to_string(i) + "@t.example",
                              "Content-Type: text/plain; charset=us-ascii\r\n", password + "\r\n");
        }
        std::map<std::string, std::string> applications;
        std::istringstream lines(kakitome("ingest " + (root_ / "mail").string()));
        for (std::string line; std::getline(lines, line);) {
            const json outcome = json::parse(line);
            if (outcome["paired"] == true)
                applications[outcome["file"].get<std::string>()] = outcome["application"];
        }
        std::map<std::string, std::string> by_sender;
        for (int i = 0; i < count; ++i) {
            const auto file = (root_ / "mail" / ("a" + std::to_string(i) + "_2.eml")).string();
            by_sender["applicant" + std::to_string(i) + "@hospital" + std::to_string(i) +
                      ".example.jp"] = applications[file];
        }
        return by_sender;
    }
    std::string token(const std::string& role, const std::string& name) {
        return json::parse(kakitome("token create --role " + role + " --name " + name))["token"];
    }
    std::vector<json> events_of_type(const std::string& type) {
        std::vector<json> found;
        std::istringstream lines(kakitome("events --limit 1000000"));
        for (std::string line; std::getline(lines, line);) {
            json event = json::parse(line);
            if (event["type"] == type) found.push_back(std::move(event));
        }
        return found;
    }

    fs::path root_, data_;
};

struct Principal {
    std::string name, token;
    bool masked;
};

// What an interleaved run saw: answers that carried data their requester must not see (a 200
// with someone else's record, unmasked PII to a masked auditor, a cacheable response), and
// answers that were not the expected 200/302 at all (errors). The two are kept apart: a proxy
// that only returns errors leaks nothing, and must fail a leak control rather than pass it.
struct Interleaved {
    int foreign = 0;
    int errors = 0;
};

Interleaved interleave(
    const std::string& base, int requests, const std::vector<Principal>& staff,
    const std::vector<std::pair<std::string, std::string>>& applications,  // (application, sender)
    const std::vector<std::string>& download_tokens, std::map<std::string, int>& reads,
    int& downloads) {
    Interleaved seen;
    for (int i = 0; i < requests; ++i) {
        const int who = i % 4;
        const auto& [application, sender] =
            applications[static_cast<std::size_t>(i / 4) % applications.size()];
        if (who == 3) {
            const auto& link =
                download_tokens[static_cast<std::size_t>(i / 4) % download_tokens.size()];
            const auto reply = http_request("GET", base + "/d/" + link);
            if (reply.status != 302) ++seen.errors;
            ++downloads;
            continue;
        }
        const Principal& principal = staff[static_cast<std::size_t>(who)];
        const auto reply = http_request("GET", base + "/v1/applications/" + application,
                                        {"Authorization: Bearer " + principal.token});
        if (reply.status != 200) {
            ++seen.errors;
            continue;
        }
        ++reads[principal.name];
        const json body = json::parse(reply.body);
        const std::string shown = body["contact"]["sender"];
        if (body["application"] != application) ++seen.foreign;    // another application's record
        if (principal.masked && shown != "***") ++seen.foreign;    // unmasked PII to an auditor
        if (!principal.masked && shown != sender) ++seen.foreign;  // someone else's contact data
        if (reply.header("cache-control") != "no-store") ++seen.foreign;
    }
    return seen;
}

// Files in nginx's cache that contain any of the given strings.
int cached_files_containing(const fs::path& cache, const std::vector<std::string>& needles,
                            int& files) {
    int hits = 0;
    files = 0;
    if (!fs::exists(cache)) return 0;
    for (const auto& entry : fs::recursive_directory_iterator(cache)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        for (const auto& needle : needles) {
            if (bytes.str().find(needle) != std::string::npos) {
                ++hits;
                break;
            }
        }
    }
    return hits;
}

TEST_F(Server, BehindACachingNginxNobodySeesAnotherPrincipalsData) {
    const auto by_sender = ingest_applicants(8);
    ASSERT_EQ(by_sender.size(), 8u);
    const Principal first{"operator-a", token("operator", "operator-a"), false};
    const Principal second{"operator-b", token("operator", "operator-b"), false};
    const Principal auditor{"auditor-c", token("auditor", "auditor-c"), true};
    std::vector<std::pair<std::string, std::string>> applications;
    for (const auto& [sender, application] : by_sender)
        applications.emplace_back(application, sender);
    // Four applicants get their link by mail through a real SMTP server.
    SmtpSink sink(root_ / "sent", free_tcp_port());
    ASSERT_TRUE(sink.start());
    for (int i = 0; i < 4; ++i)
        kakitome("command " + applications[static_cast<std::size_t>(i)].first +
                 " approve --config " + test_config(data_).string());
    kakitome("process --once --smtp " + sink.url() + " --config " + test_config(data_).string());
    std::vector<std::string> links;
    const std::regex link_pattern("/d/([A-Za-z0-9_-]{43})");
    for (std::string raw : sink.received()) {
        // The body is base64 (decoded with OpenSSL here); the Maildir stores lines ending in LF.
        raw.erase(std::remove(raw.begin(), raw.end(), '\r'), raw.end());
        const auto at = raw.find("\n\n");
        std::string encoded;
        for (char c : raw.substr(at + 2)) {
            if (c != '\r' && c != '\n') encoded += c;
        }
        std::string decoded(encoded.size(), '\0');
        const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                           reinterpret_cast<const unsigned char*>(encoded.data()),
                                           static_cast<int>(encoded.size()));
        decoded.resize(static_cast<std::size_t>(std::max(0, length)));
        std::smatch match;
        if (std::regex_search(decoded, match, link_pattern)) links.push_back(match[1]);
    }
    ASSERT_EQ(links.size(), 4u);

    const int server_port = free_tcp_port();
    auto server = start_server(data_, server_port, root_ / "serve.log");
    ASSERT_TRUE(server) << "kakitome serve did not start";
    const int proxy_port = free_tcp_port();
    auto nginx = start_nginx(root_ / "nginx", proxy_port, server_port, /*misconfigured=*/false);
    ASSERT_TRUE(nginx) << "nginx did not start";

    std::map<std::string, int> reads;
    int downloads = 0;
    const std::string base = "http://127.0.0.1:" + std::to_string(proxy_port);
    const auto through_cache =
        interleave(base, 1000, {first, second, auditor}, applications, links, reads, downloads);
    EXPECT_EQ(through_cache.foreign, 0);
    EXPECT_EQ(through_cache.errors, 0);

    std::vector<std::string> pii;
    for (const auto& [sender, application] : by_sender) pii.push_back(sender);
    pii.push_back("さくら病院");
    int files = 0;
    EXPECT_EQ(cached_files_containing(root_ / "nginx" / "cache", pii, files), 0);
    EXPECT_EQ(files, 0) << "no response may be stored by a shared cache";
    nginx.reset();
    EXPECT_EQ(server->signal(SIGTERM), 0);

    // Every read of PII and every download reached the log: nothing was answered from a cache.
    std::map<std::string, int> disclosed;
    for (const auto& event : events_of_type("PiiDisclosed"))
        ++disclosed[event["payload"]["principal"].get<std::string>()];
    EXPECT_EQ(disclosed["operator-a"], reads["operator-a"]);
    EXPECT_EQ(disclosed["operator-b"], reads["operator-b"]);
    EXPECT_EQ(disclosed.count("auditor-c"), 0u) << "masked reads disclose nothing";
    EXPECT_EQ(static_cast<int>(events_of_type("UrlDownloaded").size()), downloads);
    EXPECT_EQ(reads["operator-a"], 250);

    // The control: the same traffic through an nginx that ignores Cache-Control and Vary (the
    // original site's mistake) is caught: the auditor is served cached PII, downloads go unlogged.
    auto restarted = start_server(data_, server_port, root_ / "serve2.log");
    ASSERT_TRUE(restarted);
    auto broken = start_nginx(root_ / "nginx-broken", free_tcp_port() + 0, server_port,
                              /*misconfigured=*/true);
    ASSERT_TRUE(broken);
    std::string broken_base;
    {
        std::ifstream conf(root_ / "nginx-broken" / "nginx.conf");
        std::stringstream text;
        text << conf.rdbuf();
        std::smatch match;
        const std::string config = text.str();
        ASSERT_TRUE(std::regex_search(config, match, std::regex("listen 127.0.0.1:([0-9]+)")));
        broken_base = "http://127.0.0.1:" + match[1].str();
    }
    std::map<std::string, int> broken_reads;
    int broken_downloads = 0;
    const auto logged_before = events_of_type("UrlDownloaded").size();
    const auto control = interleave(broken_base, 40, {first, second, auditor}, applications, links,
                                    broken_reads, broken_downloads);
    EXPECT_EQ(control.errors, 0) << "a control that only errs proves nothing";
    EXPECT_GT(control.foreign, 0) << "the misconfigured cache serves someone else's data";
    EXPECT_GT(cached_files_containing(root_ / "nginx-broken" / "cache", pii, files), 0);
    broken.reset();
    EXPECT_EQ(restarted->signal(SIGTERM), 0);
    const auto logged = events_of_type("UrlDownloaded").size() - logged_before;
    EXPECT_LT(static_cast<int>(logged), broken_downloads)
        << "downloads answered from the cache never reach the log";
}

TEST_F(Server, KillNineDuringACommandBurstLosesNoAcknowledgedCommand) {
    const auto by_sender = ingest_applicants(4);
    const std::string operator_token = token("operator", "burst");
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log");
    ASSERT_TRUE(server);
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    std::mutex acknowledged_mutex;
    std::set<std::string> acknowledged;  // request ids answered 2xx
    std::atomic<bool> stop{false};
    std::atomic<int> attempts{0};
    std::vector<std::thread> clients;
    int client = 0;
    for (const auto& [sender, application] : by_sender) {
        clients.emplace_back([&, application = application, client] {
            std::string etag = http_request("GET", base + "/v1/applications/" + application,
                                            {"Authorization: Bearer " + operator_token})
                                   .header("etag");
            for (int k = 0; !stop; ++k) {
                const std::string id = "c" + std::to_string(client) + "-" + std::to_string(k);
                const auto reply = http_request(
                    "POST", base + "/v1/applications/" + application + "/commands/assign",
                    {"Authorization: Bearer " + operator_token, "If-Match: " + etag,
                     "X-Request-Id: " + id, "Idempotency-Key: " + id,
                     "Content-Type: application/json"},
                    R"({"assignee":"burst"})");
                ++attempts;
                if (reply.status == 200) {
                    std::lock_guard lock(acknowledged_mutex);
                    acknowledged.insert(id);
                    etag = reply.header("etag");
                } else if (reply.status == 0) {
                    return;  // the server is gone
                }
            }
        });
        ++client;
    }
    while (attempts < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server->signal(SIGKILL);
    stop = true;
    for (auto& thread : clients) thread.join();
    ASSERT_GT(acknowledged.size(), 50u);

    auto restarted = start_server(data_, port, root_ / "serve2.log");
    ASSERT_TRUE(restarted) << "the server must restart on the killed directory";
    EXPECT_EQ(restarted->signal(SIGTERM), 0);
    int exit_code = -1;
    kakitome("verify", &exit_code);
    EXPECT_EQ(exit_code, 0) << "the chain is intact after kill -9";
    std::map<std::string, int> in_log;
    for (const auto& event : events_of_type("ApplicationAssigned"))
        ++in_log[event["correlation"].get<std::string>()];
    for (const auto& id : acknowledged) EXPECT_EQ(in_log[id], 1) << id;
    for (const auto& [id, count] : in_log) EXPECT_EQ(count, 1) << id << " appended twice";
}

TEST_F(Server, SigtermStopsCleanlyAndTheHeadersHoldOnTheWire) {
    ingest_applicants(1);
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log");
    ASSERT_TRUE(server);
    const auto health =
        http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
    EXPECT_EQ(health.header("cache-control"), "no-store");
    EXPECT_EQ(health.header("vary"), "Authorization");
    EXPECT_EQ(health.header("pragma"), "no-cache");
    // An oversized header block is refused, not crashed on.
    const auto huge = http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz",
                                   {"X-Big: " + std::string(40000, 'a')});
    EXPECT_EQ(huge.status, 431);
    const auto unauthenticated =
        http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/v1/queue");
    EXPECT_EQ(unauthenticated.status, 401);
    EXPECT_EQ(server->signal(SIGTERM), 0);
    EXPECT_NE(server->output().find("\"stopped\":true"), std::string::npos);
}

// Sends raw bytes and reads until the server closes (or 3 s pass): every response it wrote.
std::string raw_exchange(int port, const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "";
    timeval timeout{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string received;
    char buffer[4096];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        received.append(buffer, static_cast<std::size_t>(got));
    ::close(fd);
    return received;
}

int responses_in(const std::string& received) {
    int count = 0;
    for (auto at = received.find("HTTP/1.1 "); at != std::string::npos;
         at = received.find("HTTP/1.1 ", at + 1))
        ++count;
    return count;
}

// Defects: 413/431 were text/plain without X-Request-Id or nosniff; "Transfer-Encoding:
// xchunked" ran the request with an empty body and then parsed the body as a second request.
TEST_F(Server, RefusalsAreProblemsAndAmbiguousRequestsAreRefused) {
    ingest_applicants(1);
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log");
    ASSERT_TRUE(server);
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    const auto huge = http_request("GET", base + "/healthz", {"X-Big: " + std::string(40000, 'a')});
    EXPECT_EQ(huge.status, 431);
    const auto too_large = raw_exchange(
        port, "POST /v1/queue HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(too_large.rfind("HTTP/1.1 413", 0), 0u) << too_large;
    for (const auto& refusal : {huge.body, too_large.substr(too_large.find("\r\n\r\n") + 4)}) {
        const json problem = json::parse(refusal, nullptr, false);
        ASSERT_TRUE(problem.is_object()) << refusal;
        EXPECT_EQ(problem["type"].get<std::string>().rfind("https://kakitome.example/problems/", 0),
                  0u);
    }
    EXPECT_EQ(huge.header("content-type"), "application/problem+json");
    EXPECT_FALSE(huge.header("x-request-id").empty());
    EXPECT_EQ(huge.header("x-content-type-options"), "nosniff");
    // The server's own refusals carry the console's policy too (issue 12 review): an error page
    // framed or scripted by another site is still a page of this origin.
    EXPECT_EQ(huge.header("content-security-policy").rfind("default-src 'self'", 0), 0u)
        << huge.header("content-security-policy");
    EXPECT_EQ(huge.header("x-frame-options"), "DENY");
    EXPECT_NE(too_large.find("Content-Security-Policy: default-src 'self'"), std::string::npos)
        << too_large;

    const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const std::string transfer_encoding : {"xchunked", "chunked, identity", "identity"}) {
        const auto received = raw_exchange(
            port, "POST /v1/mail HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + transfer_encoding +
                      "\r\n\r\n" + smuggled);
        EXPECT_EQ(received.rfind("HTTP/1.1 501", 0), 0u) << transfer_encoding << ": " << received;
        EXPECT_EQ(responses_in(received), 1) << "the body must not be read as a second request";
    }
    const auto two_authorizations = raw_exchange(
        port,
        "GET /v1/queue HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer "
        "b\r\n\r\n");
    EXPECT_EQ(two_authorizations.rfind("HTTP/1.1 400", 0), 0u) << two_authorizations;
    const auto no_host = raw_exchange(port, "GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(no_host.rfind("HTTP/1.1 400", 0), 0u) << no_host;
    const auto two_hosts =
        raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    EXPECT_EQ(two_hosts.rfind("HTTP/1.1 400", 0), 0u) << two_hosts;
    const auto folded =
        raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n");
    // RFC 9112 section 5.2 lets a server replace an obs-fold with spaces (Beast does): one
    // header, one answer, nothing smuggled.
    EXPECT_EQ(responses_in(folded), 1) << folded;
    EXPECT_EQ(http_request("GET", base + "/healthz").status, 200) << "still serving";
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

TEST_F(Server, TlsAndSlowClients) {
    ingest_applicants(1);
    // A self-signed certificate made by the openssl command line for 127.0.0.1.
    const auto cert = root_ / "cert.pem", key = root_ / "key.pem";
    int exit_code = -1;
    run_command(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
        "subjectAltName=IP:127.0.0.1 -keyout " +
            key.string() + " -out " + cert.string() + " 2>/dev/null",
        &exit_code);
    ASSERT_EQ(exit_code, 0);
    const int port = free_tcp_port();
    auto server = start_server(
        data_, port, root_ / "serve.log",
        {"--tls-cert", cert.string(), "--tls-key", key.string(), "--request-timeout", "1"});
    ASSERT_TRUE(server);
    ::setenv("KAKITOME_TEST_CA", cert.c_str(), 1);
    const auto secure =
        http_request("GET", "https://127.0.0.1:" + std::to_string(port) + "/healthz");
    ::unsetenv("KAKITOME_TEST_CA");
    EXPECT_EQ(secure.status, 200);
    EXPECT_EQ(secure.header("cache-control"), "no-store");
    EXPECT_EQ(http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status,
              0)
        << "plain HTTP is not served";
    EXPECT_EQ(server->signal(SIGTERM), 0);

    // Slow-loris: a client that sends half a request line and stalls is cut off at the deadline.
    auto plain = start_server(data_, port, root_ / "serve2.log", {"--request-timeout", "1"});
    ASSERT_TRUE(plain);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
    const auto started = std::chrono::steady_clock::now();
    char buffer[512];
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);  // blocks until the server gives up
    const auto waited = std::chrono::steady_clock::now() - started;
    ::close(fd);
    EXPECT_LT(waited, std::chrono::seconds(5));
    // Issue 14 §2.4: the connection used to be closed without the 408 docs/api.md promises.
    ASSERT_GT(got, 0) << "closed without an answer";
    const std::string answer(buffer, static_cast<std::size_t>(got));
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    EXPECT_NE(answer.find("X-Request-Id: "), std::string::npos) << answer;
    EXPECT_NE(answer.find("application/problem+json"), std::string::npos) << answer;
    EXPECT_EQ(http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status,
              200)
        << "and others are still served";
    EXPECT_EQ(plain->signal(SIGTERM), 0);
}

// A connection the test holds open: sends bytes, reads what arrives within a timeout.
class RawConnection {
  public:
    explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawConnection() { ::close(fd_); }
    bool connected() const { return connected_; }
    void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    // Everything received until the server closes or `seconds` pass.
    std::string receive(int seconds) {
        timeval timeout{seconds, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        std::string received;
        char buffer[4096];
        for (ssize_t got; (got = ::recv(fd_, buffer, sizeof buffer, 0)) > 0;)
            received.append(buffer, static_cast<std::size_t>(got));
        return received;
    }
    // What is received until it contains `marker`, the server closes, or `seconds` pass.
    std::string receive_until(const std::string& marker, int seconds) {
        timeval timeout{seconds, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        std::string received;
        char buffer[4096];
        while (received.find(marker) == std::string::npos) {
            const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
            if (got <= 0) break;
            received.append(buffer, static_cast<std::size_t>(got));
        }
        return received;
    }

  private:
    int fd_;
    bool connected_ = false;
};

// Issue 14 §2.3: 24 unauthenticated 26 MiB uploads were read in full before the token was
// checked (56 MB → 685 MB). The token is checked on the headers, and all bodies being read at
// once are bounded.
TEST_F(Server, TheTokenIsCheckedBeforeTheBodyAndBodiesInFlightAreBounded) {
    ingest_applicants(1);
    const std::string operator_token = token("operator", "op-upload");
    const int port = free_tcp_port();
    auto server =
        start_server(data_, port, root_ / "serve.log", {"--max-body-bytes-in-flight", "30000000"});
    ASSERT_TRUE(server);
    const std::string upload_head =
        "POST /v1/mail HTTP/1.1\r\nHost: x\r\nContent-Type: message/rfc822\r\n"
        "Content-Length: 20000000\r\n";
    std::vector<std::unique_ptr<RawConnection>> anonymous;
    for (int i = 0; i < 24; ++i) {
        anonymous.push_back(std::make_unique<RawConnection>(port));
        anonymous.back()->send(upload_head + "\r\n" + std::string(1000, 'x'));
    }
    for (auto& connection : anonymous) {
        const auto answer = connection->receive(3);
        EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << "answered before the body: " << answer;
    }
    // Two authorised uploads of 20 MB at once exceed the 30 MB bound: the second waits its turn.
    RawConnection first(port);
    first.send(upload_head + "Authorization: Bearer " + operator_token + "\r\n\r\n" +
               std::string(1000, 'x'));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RawConnection second(port);
    second.send(upload_head + "Authorization: Bearer " + operator_token + "\r\n\r\n");
    const auto busy = second.receive(3);
    EXPECT_EQ(busy.rfind("HTTP/1.1 503", 0), 0u) << busy;
    EXPECT_NE(busy.find("server_busy"), std::string::npos) << busy;
    EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
    first.send(std::string(1000, 'x'));  // still being read
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

// Issue 14 §2.1: one accept() failure with EMFILE and the server never accepted again.
TEST_F(Server, RunningOutOfDescriptorsOnceDoesNotStopTheServer) {
#ifdef KAKITOME_SANITIZED
    // UBSan checks a vptr by reading memory through a pipe (two descriptors); with the
    // descriptor table full that fails and it reports a false "invalid vptr" and exits. The
    // plain build (make test) runs this test.
    GTEST_SKIP() << "not under the sanitizers: their runtime needs descriptors to check memory";
#endif
    ingest_applicants(1);
    const int port = free_tcp_port();
    const std::string command =
        "ulimit -n 64 && exec " + std::string(KAKITOME_BINARY) + " serve --data " + data_.string() +
        " --listen 127.0.0.1:" + std::to_string(port) + " --config " + test_config(data_).string() +
        " 2>" + (root_ / "serve.err").string();
    Process server({"/bin/sh", "-c", command}, root_ / "serve.log");
    for (int i = 0; i < 200 && !port_accepts(port); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    ASSERT_EQ(http_request("GET", base + "/healthz").status, 200);
    {
        std::vector<std::unique_ptr<RawConnection>> flood;
        for (int i = 0; i < 120; ++i) flood.push_back(std::make_unique<RawConnection>(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::ifstream errors(root_ / "serve.err");
    std::stringstream text;
    text << errors.rdbuf();
    EXPECT_NE(text.str().find("accept failed"), std::string::npos)
        << "the flood did not reach the descriptor limit: " << text.str();
    long status = 0;
    for (int i = 0; i < 40 && status != 200; ++i) {
        status = http_request("GET", base + "/healthz").status;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 200) << "the server stopped accepting";
    EXPECT_EQ(server.signal(SIGTERM), 0);
}

TEST_F(Server, ConnectionsBeyondTheCapAreToldToComeBack) {
    ingest_applicants(1);
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log", {"--max-connections", "4"});
    ASSERT_TRUE(server);
    // Four kept-alive connections, each known to be accepted because it was answered (a fixed
    // pause before the fifth was not enough on a loaded machine: a connection the kernel had
    // completed but serve had not yet accepted did not count).
    // The readiness probe's own connection may still count for a moment after the harness closed
    // it (serve notices the close on its next read): a connection refused then is tried again.
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 4; ++i) {
        std::string answered;
        for (int attempt = 0; attempt < 50; ++attempt) {
            auto connection = std::make_unique<RawConnection>(port);
            connection->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            answered = connection->receive_until("\r\n\r\n", 10);
            if (answered.rfind("HTTP/1.1 200", 0) == 0) {
                idle.push_back(std::move(connection));
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ASSERT_EQ(answered.rfind("HTTP/1.1 200", 0), 0u) << answered;
    }
    const auto refused = raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
    EXPECT_NE(refused.find("too_many_connections"), std::string::npos) << refused;
    idle.clear();
    long status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
        status =
            http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, 200);
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

// The operator sizes the store's block cache in the configuration (the packaged service takes no
// flags), and /metrics shows what RocksDB keeps in memory against it.
TEST_F(Server, TheConfigurationSizesTheBlockCacheThatMetricsReport) {
    ingest_applicants(1);
    const std::string supervisor =
        json::parse(kakitome("token create --role supervisor --name memory-supervisor"))["token"];
    const auto configure = [&](const json& memory) {
        json config = json::parse(std::ifstream(test_config(data_)));
        config["memory"] = memory;
        std::ofstream(test_config(data_)) << config.dump(2);
    };
    for (const json& refused : {json(4 << 20), json("64MiB")}) {
        configure({{"block_cache_bytes", refused}});
        EXPECT_FALSE(
            launch_server(data_, free_tcp_port(), root_ / "serve.log", {}, root_ / "refused.log"))
            << "a cache of " << refused.dump() << " is refused (8 MiB or more, in bytes)";
        const std::string refusal = read_text(root_ / "refused.log");
        EXPECT_NE(refusal.find("memory.block_cache_bytes"), std::string::npos) << refusal;
    }

    configure({{"block_cache_bytes", 12345678}});
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log");
    ASSERT_TRUE(server);
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    // A read first, so that the figures are of a store in use.
    EXPECT_EQ(
        http_request("GET", base + "/v1/queue", {"Authorization: Bearer " + supervisor}).status,
        200);
    const auto metrics =
        http_request("GET", base + "/metrics", {"Authorization: Bearer " + supervisor});
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("\nkakitome_store_block_cache_capacity_bytes 12345678\n"),
              std::string::npos)
        << metrics.body;
    for (const char* gauge :
         {"\nkakitome_store_block_cache_usage_bytes ", "\nkakitome_store_block_cache_pinned_bytes ",
          "\nkakitome_store_table_readers_bytes ", "\nkakitome_store_memtable_bytes ",
          "\nkakitome_store_table_file_bytes "})
        EXPECT_NE(metrics.body.find(gauge), std::string::npos) << gauge;
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

// Issue 14 §4: on a 3 MB tmpfs `serve` aborted on a RocksDB assertion and `ingest` exited 134.
// Out of space is an error like any other, and the server resumes when space returns.
TEST_F(Server, AFullDiskFailsCleanlyAndTheServerResumesWhenSpaceReturns) {
    const fs::path disk = root_ / "disk";
    fs::create_directories(disk);
    if (::getuid() != 0 ||
        std::system(
            ("mount -t tmpfs -o size=3m tmpfs " + disk.string() + " 2>/dev/null").c_str()) != 0)
        GTEST_SKIP() << "mounting a small tmpfs needs root; the full-disk test did not run";
    struct Unmount {
        fs::path path;
        ~Unmount() { (void)std::system(("umount -l " + path.string()).c_str()); }
    } unmount{disk};
    data_ = disk / "data";
    // Mails of 300 KB of random text, as unrelated mail (kept as blobs).
    const auto big_mail = [](int i) {
        std::string text;
        std::uint64_t state = 0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(i + 1);
        for (int k = 0; k < 300'000; ++k) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            text += static_cast<char>('a' + (state >> 33) % 26);
            if (k % 76 == 75) text += "\r\n";
        }
        return "From: big" + std::to_string(i) +
               "@example.jp\r\nSubject: hello\r\nMessage-ID: <big" + std::to_string(i) +
               "@t.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + text +
               "\r\n";
    };
    fs::create_directories(root_ / "big");
    for (int i = 0; i < 12; ++i)
        std::ofstream(root_ / "big" / ("m" + std::to_string(i) + ".eml")) << big_mail(i);
    int exit_code = -1;
    const std::string sato = json::parse(kakitome(
        "token create --role operator --name sato-disk --reserve-free-bytes 300000"))["token"];
    const std::string ingested =
        kakitome("ingest --reserve-free-bytes 300000 " + (root_ / "big").string(), &exit_code);
    EXPECT_EQ(exit_code, 4) << "the store-error code, not an abort (134): " << ingested;
    kakitome("verify", &exit_code);
    EXPECT_EQ(exit_code, 0) << "nothing half-written";

    // serve takes the reserve from its configuration (the packaged service has no flags to add).
    {
        json config = json::parse(std::ifstream(test_config(data_)));
        config["disk"] = {{"reserve_free_bytes", 300000}};
        std::ofstream(test_config(data_)) << config.dump(2);
    }
    const int port = free_tcp_port();
    auto server = start_server(data_, port, root_ / "serve.log");
    ASSERT_TRUE(server);
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    const auto post = [&](int i) {
        return http_request("POST", base + "/v1/mail",
                            {"Authorization: Bearer " + sato, "Content-Type: message/rfc822"},
                            big_mail(100 + i));
    };
    // The server takes mail while there is room, then refuses it cleanly.
    HttpReply full;
    int taken = 0;
    for (int i = 0; i < 10; ++i) {
        full = post(i);
        if (full.status != 201) break;
        ++taken;
    }
    EXPECT_LT(taken, 10) << "the disk never filled";
    EXPECT_GT(taken, 0) << "the configuration's reserve, not the 64 MB default, was kept";
    EXPECT_EQ(full.status, 507) << full.body;
    EXPECT_EQ(full.header("content-type"), "application/problem+json");
    EXPECT_NE(full.body.find("storage_full"), std::string::npos) << full.body;
    EXPECT_EQ(http_request("GET", base + "/v1/queue", {"Authorization: Bearer " + sato}).status,
              200)
        << "reads keep working";
    // Space returns (the file system grows): the next mail is taken, without a restart.
    ASSERT_EQ(std::system(("mount -o remount,size=8m " + disk.string()).c_str()), 0);
    const auto resumed = post(50);
    EXPECT_EQ(resumed.status, 201) << resumed.body;
    EXPECT_EQ(server->signal(SIGTERM), 0);
    kakitome("verify", &exit_code);
    EXPECT_EQ(exit_code, 0);
}

}  // namespace
}  // namespace kakitome::testing
