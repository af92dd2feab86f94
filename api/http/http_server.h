// HttpServer: HTTP/1.1 over TCP (or TLS when a certificate is given) with Boost.Beast, one
// io_context per thread (default: one per core), keep-alive, and limits that a public
// endpoint needs: header and body size, a deadline for reading a whole request (slow-loris:
// 408, then close), an idle timeout between keep-alive requests, a cap on open connections
// (beyond it: 503 and close), a bound on the memory of all request bodies being read at once
// (beyond it: 503), and `admit`, asked on the headers alone before any body byte is read (so
// an unauthenticated client cannot make the server hold its upload). A failed accept()
// (EMFILE, ENFILE, ...) is retried after a short back-off: the server never stops accepting
// while it runs. Requests are handed to `handler` on the I/O thread; the handler must be
// thread-safe. An asynchronous handler answers later, from any thread, through its HttpReply
// (a read whose disclosure is being made durable holds no thread while it waits).
// stop() (SIGTERM in `kakitome serve`) stops accepting, lets in-flight requests finish and be
// answered within its grace, then returns; a reply that comes later is dropped.
// Asio and Beast stay inside http_server.cc (compiled once, separately): this header is cheap.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http/http_types.h"
#include "events/base/status.h"

namespace kakitome::http {

struct HttpServerOptions {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;  // 0: pick a free port (see port())
    int threads = 0;             // 0: one per core
    std::size_t header_limit = 16 * 1024;
    std::size_t body_limit = 1024 * 1024;  // per request; `large_body_paths` may exceed it
    std::size_t large_body_limit = 26 * 1024 * 1024;
    // e.g. "/v1/mail"; a "{name}" segment matches any one segment.
    std::vector<std::string> large_body_paths;
    std::chrono::seconds request_deadline{30};  // to read one whole request
    std::chrono::seconds idle_timeout{30};      // between keep-alive requests
    std::size_t max_connections = 4096;
    // Declared (or, chunked, allowed) sizes of the bodies being read at once; never below the
    // largest body a route allows.
    std::size_t max_body_bytes_in_flight = 128 * 1024 * 1024;
    // Asked with the request line and headers (empty body) before the body is read: a
    // response refuses the request (sent at once, then the connection is closed).
    std::function<std::optional<HttpResponse>(const HttpRequest&)> admit;
    // Requests for which this answers true (those that wait on an fsync'd append) run on a pool
    // of `blocking_threads` instead of the I/O thread, so that many can share one group commit
    // while the I/O threads keep serving the rest.
    std::function<bool(const HttpRequest&)> blocking;
    int blocking_threads = 128;
    // Added to every answer that lacks them, the server's own refusals (413, 431, 400, 408,
    // 503, ...) included, which no handler sees: `serve` gives the API's security headers.
    std::vector<std::pair<std::string, std::string>> every_response_headers;
    std::string tls_certificate_file;  // PEM; TLS when both are set
    std::string tls_key_file;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Sends the answer to one request: call it once, now or later, from any thread (the connection's
// own thread writes it). Further calls, and calls after the server has stopped, do nothing.
using HttpReply = std::function<void(HttpResponse)>;
// The request stays valid until `reply` has been called.
using HttpAsyncHandler = std::function<void(const HttpRequest&, HttpReply reply)>;

class HttpServer {
  public:
    static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options,
                                                     HttpAsyncHandler handler);
    static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options,
                                                     HttpHandler handler);
    ~HttpServer();
    unsigned short port() const;
    // Reads the certificate chain and key files again (after a renewal) for new connections;
    // connections already open keep the old ones. On an error the old ones stay in use.
    Status reload_tls();
    bool serves_tls() const;
    // Stops accepting, waits up to `grace` for in-flight requests to be answered, then stops.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
    // Blocks until stop() has finished.
    void wait();

    struct Impl;

  private:
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kakitome::http
