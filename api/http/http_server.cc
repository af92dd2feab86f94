#include "api/http/http_server.h"

#include "events/base/aead.h"
#include "events/base/operator_log.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kakitome::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Connections whose handler has not yet replied, owned here (no pending I/O holds them). Shared
// with every HttpReply, which may outlive the server: after stop() a reply finds `open` false
// and does nothing.
struct AwaitingReplies {
    std::mutex mutex;
    bool open = true;
    std::unordered_map<const void*, std::shared_ptr<void>> connections;
};

struct HttpServer::Impl {
    HttpServerOptions options;
    HttpAsyncHandler handler;
    std::shared_ptr<AwaitingReplies> awaiting = std::make_shared<AwaitingReplies>();
    // Before the contexts: sessions still pending when the contexts go update these.
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> body_bytes_reserved{0};
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    std::unique_ptr<tcp::acceptor> acceptor;
    // Replaced whole by reload_tls(); each session keeps the context it was accepted with.
    std::shared_ptr<asio::ssl::context> tls;
    std::mutex tls_mutex;
    std::shared_ptr<asio::ssl::context> current_tls() {
        std::lock_guard lock(tls_mutex);
        return tls;
    }
    std::unique_ptr<asio::thread_pool> blocking_pool;
    std::atomic<std::size_t> next_context{0};
    std::atomic<bool> stopping{false};
    std::atomic<int> in_flight{0};  // requests read and not yet answered
    std::chrono::milliseconds accept_backoff{0};
    std::mutex stopped_mutex;
    std::condition_variable stopped_changed;
    bool stopped = false;
    unsigned short port = 0;

    void accept();
    void retry_accept_later(const beast::error_code& error);
    void refuse_connection(tcp::socket socket);
};

namespace {

// "/v1/incidents/{incident}/imports/{kind}" matches "/v1/incidents/x/imports/access-log": a
// "{…}" segment stands for any one non-empty segment.
bool path_matches_pattern(std::string_view pattern, std::string_view path) {
    while (!pattern.empty() && !path.empty()) {
        const auto pattern_end = pattern.find('/', 1), path_end = path.find('/', 1);
        const std::string_view pattern_segment = pattern.substr(0, pattern_end);
        const std::string_view path_segment = path.substr(0, path_end);
        const bool wildcard = pattern_segment.size() > 2 && pattern_segment[1] == '{';
        if (wildcard ? path_segment.size() < 2 : pattern_segment != path_segment) return false;
        if ((pattern_end == std::string_view::npos) != (path_end == std::string_view::npos))
            return false;
        if (pattern_end == std::string_view::npos) return true;
        pattern.remove_prefix(pattern_end);
        path.remove_prefix(path_end);
    }
    return pattern.empty() && path.empty();
}

HttpRequest to_request(const bhttp::request<bhttp::string_body>& message, const std::string& remote,
                       bool tls, bool with_body = true) {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        request.headers[name] = std::string(field.value());
    }
    if (with_body) request.body = message.body();
    request.remote = remote;
    request.tls = tls;
    return request;
}

bhttp::response<bhttp::string_body> to_message(const HttpResponse& response, unsigned version,
                                               bool keep_alive) {
    bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status),
                                                version};
    message.set(bhttp::field::server, "kakitome");
    for (const auto& [name, value] : response.headers) message.set(name, value);
    message.body() = response.body;
    message.keep_alive(keep_alive);
    message.prepare_payload();
    return message;
}

// The answer to a request the server refuses before a handler sees it: problem+json with the
// same private-response headers as every handler's answer (docs/api.md), and one line in the
// operator's log like a handler's answer (no route: the request was not routed).
HttpResponse refusal(int status, const std::string& type, const std::string& title) {
    const std::string request_id = random_hex(12);
    logging::write(status >= 500 ? logging::Level::error : logging::Level::info, "request",
                   {{"request_id", request_id},
                    {"principal", nullptr},
                    {"method", nullptr},
                    {"route", "(refused before routing)"},
                    {"latency_ms", nullptr},
                    {"status", status},
                    {"reason", type}});
    HttpResponse response;
    response.status = status;
    response.body = std::string("{\"type\":\"") + kProblemBase + type + "\",\"title\":\"" + title +
                    "\",\"status\":" + std::to_string(status) + "}";
    response.headers = {{"Content-Type", "application/problem+json"},
                        {"Cache-Control", "no-store"},
                        {"Pragma", "no-cache"},
                        {"Vary", "Authorization"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"X-Request-Id", request_id}};
    return response;
}

// Request shapes that proxies and this parser could read differently (request smuggling) or
// that RFC 9112 forbids: refused before anything else, and the connection is closed.
std::optional<HttpResponse> refuse_ambiguous(
    const bhttp::request_parser<bhttp::string_body>& parser) {
    const auto& message = parser.get();
    std::size_t transfer_encodings = 0, hosts = 0, authorizations = 0;
    std::string transfer_encoding;
    for (const auto& field : message) {
        if (field.name() == bhttp::field::transfer_encoding) {
            ++transfer_encodings;
            transfer_encoding = std::string(field.value());
        } else if (field.name() == bhttp::field::host) {
            ++hosts;
        } else if (field.name() == bhttp::field::authorization) {
            ++authorizations;
        }
    }
    if (transfer_encodings > 1 || (transfer_encodings == 1 && transfer_encoding != "chunked"))
        return refusal(501, "unsupported_transfer_encoding",
                       "only Transfer-Encoding: chunked is supported");
    if (authorizations > 1) return refusal(400, "malformed_request", "two Authorization headers");
    if (message.version() == 11 && hosts != 1)
        return refusal(400, "malformed_request", "HTTP/1.1 needs exactly one Host header");
    return std::nullopt;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  public:
    Session(Stream stream, HttpServer::Impl& server, std::string remote,
            std::shared_ptr<asio::ssl::context> tls_context = nullptr)
        : tls_context_(std::move(tls_context)),
          stream_(std::move(stream)),
          server_(server),
          remote_(std::move(remote)),
          deadline_(stream_.get_executor()) {
        ++server_.connections;
    }
    ~Session() {
        release_body_reservation();
        --server_.connections;
    }

    void run() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(server_.options.request_deadline);
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code error) {
                                        if (!error) self->read_request(true);
                                    });
        } else {
            read_request(true);
        }
    }

  private:
    static constexpr bool kTls = std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>;

    void read_request(bool first) {
        if (server_.stopping) return close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
        parser_->body_limit(server_.options.large_body_limit);
        // The whole request must arrive within the deadline; an idle keep-alive connection is
        // closed after idle_timeout. Either way a trickling client cannot hold a slot forever.
        // A timer of the session's own (not the stream's expiry, which would close the socket)
        // cancels the read, so a client cut off mid-request is still told 408.
        beast::get_lowest_layer(stream_).expires_never();
        arm_deadline(first ? server_.options.request_deadline : server_.options.idle_timeout);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                self->on_header(error);
            });
    }

    void arm_deadline(std::chrono::seconds after) {
        timed_out_ = false;
        deadline_.expires_after(after);
        deadline_.async_wait([self = this->shared_from_this()](beast::error_code error) {
            // Cancelled, or a wait whose completion was already queued when the deadline was
            // cancelled or re-armed (Asio then reports success): not this deadline.
            if (error || self->deadline_.expiry() > asio::steady_timer::clock_type::now()) return;
            self->timed_out_ = true;
            beast::error_code ignored;
            beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
        });
    }

    void release_body_reservation() {
        server_.body_bytes_reserved -= reserved_;
        reserved_ = 0;
    }

    void on_header(beast::error_code error) {
        if (error) return fail_read(error);
        arm_deadline(server_.options.request_deadline);
        const auto target = parser_->get().target();
        const std::string path(target.substr(0, target.find('?')));
        const bool large = std::any_of(
            server_.options.large_body_paths.begin(), server_.options.large_body_paths.end(),
            [&](const std::string& pattern) { return path_matches_pattern(pattern, path); });
        const std::size_t limit =
            large ? server_.options.large_body_limit : server_.options.body_limit;
        if (auto refused = refuse_ambiguous(*parser_)) return respond(*refused, false);
        if (server_.options.admit) {
            // Authentication and routing on the headers alone: nothing of a refused body is
            // ever read or held.
            std::optional<HttpResponse> refused;
            try {
                refused = server_.options.admit(to_request(parser_->get(), remote_, kTls, false));
            } catch (const std::exception&) {
                refused = refusal(500, "internal", "internal error");
            }
            if (refused) return respond(*refused, false);
        }
        if (parser_->content_length() && *parser_->content_length() > limit) {
            return respond(refusal(413, "payload_too_large", "request body too large"), false);
        }
        // Reserve what this body may take (its declared length, or the route's limit when it
        // is chunked) against the bound for all bodies being read at once.
        const std::size_t wanted = parser_->content_length()
                                       ? static_cast<std::size_t>(*parser_->content_length())
                                       : (parser_->chunked() ? limit : 0);
        if (wanted > 0) {
            const std::size_t before = server_.body_bytes_reserved.fetch_add(wanted);
            reserved_ = wanted;
            if (before + wanted > server_.options.max_body_bytes_in_flight) {
                release_body_reservation();
                auto busy = refusal(503, "server_busy",
                                    "too many request bodies are being received; try again");
                busy.set_header("Retry-After", "1");
                return respond(busy, false);
            }
        }
        parser_->body_limit(limit);
        bhttp::async_read(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code read_error, std::size_t) {
                self->on_request(read_error);
            });
    }

    void fail_read(beast::error_code error) {
        if (error == bhttp::error::header_limit)
            return respond(
                refusal(431, "header_fields_too_large", "request header fields too large"), false);
        if (error == bhttp::error::body_limit)
            return respond(refusal(413, "payload_too_large", "request body too large"), false);
        if (timed_out_) {
            if (parser_ && parser_->got_some())
                return respond(refusal(408, "request_timeout", "request timeout"), false);
            return close();
        }
        if (error == bhttp::error::end_of_stream || error == beast::error::timeout ||
            error == asio::error::connection_reset || error == asio::error::eof) {
            return close();
        }
        if (parser_ && parser_->got_some())
            return respond(refusal(400, "malformed_request", "malformed request"), false);
        close();
    }

    void on_request(beast::error_code error) {
        if (error) return fail_read(error);
        deadline_.cancel();
        ++server_.in_flight;
        const auto& message = parser_->get();
        auto request = std::make_shared<HttpRequest>(to_request(message, remote_, kTls));
        auto reply = reply_for(request, message.keep_alive(), message.version());
        auto run = [handler = &server_.handler, request, reply] {
            try {
                (*handler)(*request, reply);
            } catch (const std::exception&) {
                reply(refusal(500, "internal", "internal error"));  // ignored if it had replied
            }
        };
        if (server_.blocking_pool && server_.options.blocking &&
            server_.options.blocking(*request)) {
            asio::post(*server_.blocking_pool, run);
            return;
        }
        run();
    }

    // The one way an answer reaches this connection: the session waits among the server's
    // awaiting connections (nothing else holds it meanwhile); the first call takes it out and has
    // the connection's thread write the answer.
    HttpReply reply_for(std::shared_ptr<HttpRequest> request, bool keep_alive, unsigned version) {
        auto awaiting = server_.awaiting;
        {
            std::lock_guard lock(awaiting->mutex);
            awaiting->connections.emplace(this, this->shared_from_this());
        }
        // Once only: a second call must not answer the connection's next (pipelined) request.
        auto used = std::make_shared<std::atomic<bool>>(false);
        return [awaiting, used, key = static_cast<const void*>(this), request = std::move(request),
                keep_alive, version](HttpResponse response) {
            if (used->exchange(true)) return;
            std::shared_ptr<Session> self;
            {
                std::lock_guard lock(awaiting->mutex);
                auto found = awaiting->connections.find(key);
                if (!awaiting->open || found == awaiting->connections.end()) return;
                self = std::static_pointer_cast<Session>(std::move(found->second));
                awaiting->connections.erase(found);
                // Posted under the lock: stop() closes `open` before the I/O threads end.
                asio::post(self->stream_.get_executor(),
                           [self, response = std::move(response), keep_alive, version]() mutable {
                               self->respond(std::move(response),
                                             keep_alive && !self->server_.stopping, version, true);
                           });
            }
        };
    }

    void respond(HttpResponse response, bool keep_alive, unsigned version = 11,
                 bool counted = false) {
        for (const auto& [name, value] : server_.options.every_response_headers) {
            const bool present =
                std::any_of(response.headers.begin(), response.headers.end(),
                            [&name](const auto& header) { return header.first == name; });
            if (!present) response.headers.emplace_back(name, value);
        }
        auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
            to_message(response, version, keep_alive));
        beast::get_lowest_layer(stream_).expires_after(server_.options.request_deadline);
        deadline_.cancel();
        bhttp::async_write(stream_, *message,
                           [self = this->shared_from_this(), message, keep_alive, counted](
                               beast::error_code error, std::size_t) {
                               if (counted) --self->server_.in_flight;
                               self->release_body_reservation();
                               if (error || !keep_alive) return self->close();
                               self->read_request(false);
                           });
    }

    void close() {
        deadline_.cancel();
        beast::error_code ignored;
        if constexpr (kTls) {
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        } else {
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        beast::get_lowest_layer(stream_).close();
    }

    // Declared before the stream: the TLS context outlives the connection that uses it.
    std::shared_ptr<asio::ssl::context> tls_context_;
    Stream stream_;
    HttpServer::Impl& server_;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    asio::steady_timer deadline_;
    bool timed_out_ = false;
    std::size_t reserved_ = 0;  // of server_.body_bytes_reserved, for the body being read
};

}  // namespace

// accept() fails when the process is out of descriptors (EMFILE), the system is (ENFILE), or
// a client gave up mid-handshake (ECONNABORTED): none of these is a reason to stop serving.
// Try again after a pause that doubles up to a second (a tight loop would spin on EMFILE).
void HttpServer::Impl::retry_accept_later(const beast::error_code& error) {
    accept_backoff = std::min<std::chrono::milliseconds>(
        std::chrono::seconds(1),
        std::max<std::chrono::milliseconds>(std::chrono::milliseconds(10), accept_backoff * 2));
    logging::write(logging::Level::error, "accept failed",
                   {{"error", error.message()}, {"retry_ms", accept_backoff.count()}});
    auto timer = std::make_shared<asio::steady_timer>(acceptor->get_executor(), accept_backoff);
    timer->async_wait([this, timer](beast::error_code) {
        if (!stopping) accept();
    });
}

// Beyond max_connections: a 503 (Connection: close), written without reading the request,
// then the connection is drained briefly and closed, so the client sees the answer rather
// than a reset. TLS connections are closed (an answer would need a handshake first).
void HttpServer::Impl::refuse_connection(tcp::socket socket) {
    if (current_tls()) {
        beast::error_code ignored;
        socket.close(ignored);
        return;
    }
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto busy = refusal(503, "too_many_connections", "too many open connections; try again");
    busy.set_header("Retry-After", "1");
    auto message =
        std::make_shared<bhttp::response<bhttp::string_body>>(to_message(busy, 11, false));
    stream->expires_after(std::chrono::seconds(2));
    bhttp::async_write(*stream, *message, [stream, message](beast::error_code error, std::size_t) {
        beast::error_code ignored;
        if (error) return stream->close();
        stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
        auto sink = std::make_shared<std::array<char, 4096>>();
        // The pending read owns the loop; the loop refers to itself weakly, so a read that
        // never completes (the server stops) frees everything.
        auto drain = std::make_shared<std::function<void()>>();
        *drain = [stream, sink, weak = std::weak_ptr<std::function<void()>>(drain)] {
            auto self = weak.lock();
            if (!self) return;
            stream->async_read_some(asio::buffer(*sink),
                                    [stream, self](beast::error_code read_error, std::size_t) {
                                        if (read_error) return stream->close();
                                        (*self)();
                                    });
        };
        (*drain)();
    });
}

void HttpServer::Impl::accept() {
    auto& context = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(context, [this](beast::error_code error, tcp::socket socket) {
        if (stopping || error == asio::error::operation_aborted) return;
        if (error) return retry_accept_later(error);
        accept_backoff = std::chrono::milliseconds(0);
        if (connections >= options.max_connections) {
            refuse_connection(std::move(socket));
            return accept();
        }
        beast::error_code ignored;
        const auto endpoint = socket.remote_endpoint(ignored);
        const std::string remote = ignored ? "" : endpoint.address().to_string();
        socket.set_option(tcp::no_delay(true), ignored);
        if (auto tls_context = current_tls()) {
            std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)),
                                                     *tls_context),
                *this, remote, tls_context)
                ->run();
        } else {
            std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                         *this, remote)
                ->run();
        }
        accept();
    });
}

namespace {

// A server context from the certificate chain and key files; an error names the file's problem.
Result<std::shared_ptr<asio::ssl::context>> tls_context(const HttpServerOptions& options) {
    try {
        auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        context->set_options(asio::ssl::context::default_workarounds |
                             asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                             asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        context->use_certificate_chain_file(options.tls_certificate_file);
        context->use_private_key_file(options.tls_key_file, asio::ssl::context::pem);
        return context;
    } catch (const std::exception& error) {
        return Status::invalid_argument("cannot load the TLS certificate " +
                                        options.tls_certificate_file + " and key " +
                                        options.tls_key_file + ": " + error.what())
            .with_reason("tls_unreadable");
    }
}

}  // namespace

Status HttpServer::reload_tls() {
    if (!impl_->current_tls()) return Status::ok();
    auto context = tls_context(impl_->options);
    if (!context.is_ok()) return context.status();
    std::lock_guard lock(impl_->tls_mutex);
    impl_->tls = std::move(context).value();
    return Status::ok();
}

bool HttpServer::serves_tls() const {
    return impl_->current_tls() != nullptr;
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      HttpHandler handler) {
    return start(std::move(options),
                 [handler = std::move(handler)](const HttpRequest& request, HttpReply reply) {
                     reply(handler(request));
                 });
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      HttpAsyncHandler handler) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    // A bound below the largest body a route allows would refuse that route forever.
    impl->options.max_body_bytes_in_flight =
        std::max({impl->options.max_body_bytes_in_flight, impl->options.large_body_limit,
                  impl->options.body_limit});
    impl->handler = std::move(handler);
    const int threads = impl->options.threads > 0
                            ? impl->options.threads
                            : std::max(1u, std::thread::hardware_concurrency());
    for (int i = 0; i < threads; ++i) {
        impl->contexts.push_back(std::make_unique<asio::io_context>(1));
        impl->guards.push_back(asio::make_work_guard(*impl->contexts.back()));
    }
    try {
        if (!impl->options.tls_certificate_file.empty() || !impl->options.tls_key_file.empty()) {
            auto context = tls_context(impl->options);
            if (!context.is_ok()) return context.status();
            impl->tls = std::move(context).value();
        }
        const tcp::endpoint endpoint(asio::ip::make_address(impl->options.address),
                                     impl->options.port);
        impl->acceptor = std::make_unique<tcp::acceptor>(*impl->contexts[0]);
        impl->acceptor->open(endpoint.protocol());
        impl->acceptor->set_option(asio::socket_base::reuse_address(true));
        impl->acceptor->bind(endpoint);
        impl->acceptor->listen(asio::socket_base::max_listen_connections);
        impl->port = impl->acceptor->local_endpoint().port();
    } catch (const std::exception& error) {
        return Status::unavailable(std::string("cannot listen on ") + impl->options.address + ":" +
                                   std::to_string(impl->options.port) + ": " + error.what())
            .with_reason("listen_failed");
    }
    if (impl->options.blocking) {
        impl->blocking_pool = std::make_unique<asio::thread_pool>(
            static_cast<std::size_t>(std::max(1, impl->options.blocking_threads)));
    }
    impl->accept();
    for (auto& context : impl->contexts) {
        impl->threads.emplace_back([&context = *context] { context.run(); });
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
    stop(std::chrono::milliseconds(0));
}

unsigned short HttpServer::port() const {
    return impl_->port;
}

void HttpServer::stop(std::chrono::milliseconds grace) {
    if (impl_->stopping.exchange(true)) {
        wait();
        return;
    }
    asio::post(*impl_->contexts[0], [this] {
        beast::error_code ignored;
        impl_->acceptor->close(ignored);
    });
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (impl_->blocking_pool) impl_->blocking_pool->join();
    // Replies still to come (an append that outlived the grace) will find the server closed; the
    // connections that waited for them are closed here, while their I/O threads still run.
    std::unordered_map<const void*, std::shared_ptr<void>> unanswered;
    {
        std::lock_guard lock(impl_->awaiting->mutex);
        impl_->awaiting->open = false;
        unanswered.swap(impl_->awaiting->connections);
    }
    unanswered.clear();
    impl_->guards.clear();
    for (auto& context : impl_->contexts) context->stop();
    for (auto& thread : impl_->threads) {
        if (thread.joinable()) thread.join();
    }
    std::lock_guard lock(impl_->stopped_mutex);
    impl_->stopped = true;
    impl_->stopped_changed.notify_all();
}

void HttpServer::wait() {
    std::unique_lock lock(impl_->stopped_mutex);
    impl_->stopped_changed.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace kakitome::http
