// Running the real `kakitome` binary against real parts for end-to-end API tests: a data
// directory filled through `kakitome ingest`/`token`/`command`, `kakitome serve` on a free port,
// nginx (Debian nginx-light) in front, and a libcurl client.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/mail/smtp_sink.h"
#include "run_command.h"

namespace kakitome::testing {

struct HttpReply {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& lower_case_name) const {
        auto found = headers.find(lower_case_name);
        return found == headers.end() ? std::string() : found->second;
    }
};

inline std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

inline std::size_t collect_header(char* data, std::size_t size, std::size_t count, void* out) {
    std::string line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return size * count;
}

inline HttpReply http_request(const std::string& method, const std::string& url,
                              const std::vector<std::string>& headers = {},
                              const std::string& body = "") {
    HttpReply reply;
    CURL* curl = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (const char* ca = std::getenv("KAKITOME_TEST_CA"))
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    if (method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return reply;
}

// Every answer a test received, kept as a JSON line (method, the path or the documented route,
// status, headers, body) and judged against docs/openapi.yaml by scripts/validate_responses.py
// (python3-jsonschema): the document must describe what the binary answers, field by field.
class DocumentedAnswers {
  public:
    explicit DocumentedAnswers(std::filesystem::path file) : file_(std::move(file)) {}
    // `path` is the concrete path (matched to the document's templates by the validator), or,
    // with `is_route`, the documented template itself.
    void record(const std::string& method, const std::string& path, const HttpReply& reply,
                bool is_route = false) const {
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& [name, value] : reply.headers) headers[name] = value;
        std::ofstream(file_, std::ios::app)
            << nlohmann::json{{"method", method},
                              {is_route ? "route" : "path", path},
                              {"status", reply.status},
                              {"headers", headers},
                              {"body", reply.body}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
    }
    // Empty when every recorded answer is as the document says (or none was recorded), else
    // the validator's findings.
    std::string findings() const {
        if (!std::filesystem::exists(file_)) return "";
        int exit_code = -1;
        const std::string out =
            run_command("/usr/bin/python3 " + std::string(KAKITOME_SOURCE_DIR) +
                            "/scripts/validate_responses.py " + std::string(KAKITOME_SOURCE_DIR) +
                            "/docs/openapi.yaml " + file_.string() + " 2>&1",
                        &exit_code);
        return exit_code == 0 ? "" : out;
    }
    const std::filesystem::path& file() const { return file_; }

  private:
    std::filesystem::path file_;
};

// A whole file (a server's log, a token file); empty when it cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Polls `condition` every 50 ms for up to ten seconds (a server's worker folds new events
// within a second).
template <class Condition>
bool eventually(Condition condition) {
    for (int i = 0; i < 200; ++i) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// A child process with its stdout in a file (and its stderr in another, when given); killed
// (SIGKILL) on destruction unless stopped.
class Process {
  public:
    Process(std::vector<std::string> arguments, std::filesystem::path output,
            std::filesystem::path errors = {})
        : output_(std::move(output)) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            std::FILE* out = std::fopen(output_.c_str(), "w");
            ::dup2(::fileno(out), 1);
            if (!errors.empty()) {
                std::FILE* error_file = std::fopen(errors.c_str(), "w");
                ::dup2(::fileno(error_file), 2);
            }
            std::vector<char*> argv;
            for (auto& argument : arguments) argv.push_back(argument.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Process() { signal(SIGKILL); }
    // Sends a signal and waits; returns the exit status (or -1).
    int signal(int number) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, number);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    // Whether the process has ended (it is reaped then).
    bool exited() {
        if (pid_ <= 0) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        pid_ = -1;
        return true;
    }
    pid_t pid() const { return pid_; }
    std::string output() const {
        std::ifstream in(output_);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

  private:
    std::filesystem::path output_;
    pid_t pid_ = -1;
};

// The configuration the server tests run with (written beside `data`): a storage endpoint of
// the tests' own (links are followed only as far as the 302), and the campaign extended to
// 2027-03-31, since the tests run after the published period ended.
// Written once: a test may add to it (e.g. an SMTP server) before starting the server.
inline std::filesystem::path test_config(const std::filesystem::path& data) {
    const auto directory = data.parent_path();
    if (std::filesystem::exists(directory / "kakitome.json")) return directory / "kakitome.json";
    std::filesystem::create_directories(directory);
    std::ofstream(directory / "storage.secret") << "test-secret-for-presigning\n";
    const nlohmann::json config{
        {"campaign", {{"usage_period_last", "2027-03-31"}}},
        {"storage",
         {{"endpoint", "https://storage.test.example"},
          {"bucket", "kenpo-pr-video"},
          {"key", "pr-video.mp4"},
          {"access_key_id", "AKIDKAKITOMETEST"},
          {"secret_access_key_file", (directory / "storage.secret").string()}}}};
    std::ofstream(directory / "kakitome.json") << config.dump(2);
    return directory / "kakitome.json";
}

// `kakitome serve` on a free port with test_config(), and extra arguments; waits until it
// accepts connections (up to `patience`, 30 s by default: a replicated node listens only once it
// has joined the log, which waits for JetStream's election when the cluster starts with it);
// nullptr as soon as it exits instead. Its stdout goes to `log`; its stderr (the operator's log)
// to `errors` when given, else to the test's own stderr. Its read models may still be folding.
inline std::unique_ptr<Process> launch_server(
    const std::filesystem::path& data, int port, const std::filesystem::path& log,
    std::vector<std::string> extra = {}, const std::filesystem::path& errors = {},
    const std::string& binary = KAKITOME_BINARY,
    std::chrono::milliseconds patience = std::chrono::seconds(30)) {
    std::vector<std::string> arguments{binary,     "serve",
                                       "--data",   data.string(),
                                       "--listen", "127.0.0.1:" + std::to_string(port),
                                       "--config", test_config(data).string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    auto server = std::make_unique<Process>(arguments, log, errors);
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (!server->exited() && std::chrono::steady_clock::now() < give_up) {
        if (port_accepts(port)) return server;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
}

// launch_server, then as a client that respects readiness: serve listens before its read models
// have folded the log (the queue answers 503 catching_up until then), so this waits up to 10 s
// more for them. Plain HTTP only; a TLS port gives no HTTP answer here, and is returned at once.
inline std::unique_ptr<Process> start_server(const std::filesystem::path& data, int port,
                                             const std::filesystem::path& log,
                                             std::vector<std::string> extra = {},
                                             const std::filesystem::path& errors = {},
                                             const std::string& binary = KAKITOME_BINARY) {
    auto server = launch_server(data, port, log, std::move(extra), errors, binary);
    if (!server) return nullptr;
    for (int j = 0; j < 200; ++j) {
        const auto ready =
            http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/readyz");
        if (ready.status == 0 ||
            ready.body.find("\"projections\":{\"ok\":true}") != std::string::npos)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return server;
}

// nginx as a caching reverse proxy in front of `upstream_port`, as the issue prescribes:
// proxy_cache on, `proxy_cache_valid 200 302 10m`, a key without the Authorization header.
// `misconfigured` also ignores the upstream's Cache-Control, Expires and Vary — the kind of
// configuration that caused the original leak — to prove the test detects a leak when there is one.
inline std::unique_ptr<Process> start_nginx(const std::filesystem::path& directory, int port,
                                            int upstream_port, bool misconfigured) {
    std::filesystem::create_directories(directory / "cache");
    std::ofstream conf(directory / "nginx.conf");
    conf << "worker_processes 1;\ndaemon off;\nmaster_process off;\n"
         << "pid " << (directory / "nginx.pid").string() << ";\nerror_log "
         << (directory / "error.log").string() << " warn;\n"
         << "events { worker_connections 256; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << (directory / "body").string() << ";\n"
         << "  proxy_temp_path " << (directory / "proxy").string() << ";\n"
         << "  fastcgi_temp_path " << (directory / "fastcgi").string() << ";\n"
         << "  uwsgi_temp_path " << (directory / "uwsgi").string() << ";\n"
         << "  scgi_temp_path " << (directory / "scgi").string() << ";\n"
         << "  proxy_cache_path " << (directory / "cache").string()
         << " levels=1:2 keys_zone=kakitome:10m max_size=100m inactive=60m;\n"
         << "  server {\n    listen 127.0.0.1:" << port << ";\n    location / {\n"
         << "      proxy_pass http://127.0.0.1:" << upstream_port << ";\n"
         << "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
         << "      proxy_cache kakitome;\n      proxy_cache_key $scheme$proxy_host$request_uri;\n"
         << "      proxy_cache_valid 200 302 10m;\n      add_header X-Cache-Status "
            "$upstream_cache_status always;\n"
         << (misconfigured ? "      proxy_ignore_headers Cache-Control Expires Vary;\n      "
                             "proxy_hide_header Vary;\n"
                           : "")
         << "    }\n  }\n}\n";
    conf.close();
    auto nginx = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-c", (directory / "nginx.conf").string(), "-p",
                                 directory.string()},
        directory / "stdout.log");
    for (int i = 0; i < 200; ++i) {
        if (port_accepts(port)) return nginx;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
}

}  // namespace kakitome::testing
