// The listener: Beast on the daemon's io_context. Connections are read and written on the event
// loop with a deadline each; handlers run on the reader threads (each with its own read-only
// connection to the archive), so that a slow query never holds a poll up.
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <thread>

#include "api/auth.hpp"
#include "api/request.hpp"
#include "feedd/api/api.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Named, not anonymous: Server::Impl's members have these types, and GCC warns
// (-Wsubobject-linkage) about a member of an anonymous namespace's type in a class defined
// outside the main file, which every file of a unity batch is.
namespace serving {

// The reader threads: each runs handlers one after another with its own read-only connection,
// all taking from one queue. More than one, so that a slow request (a search, a long page) does
// not hold every other reader's request behind it, and requests use more than one core; each
// connection reads its own snapshot, and SQLite's WAL lets them read while the writer writes.
class Reader {
  public:
    static constexpr std::size_t max_queued = 256;  // more waiting requests are answered 503

    Reader(const store::Location& database, unsigned threads) {
        for (unsigned i = 0; i < std::max(1u, threads); ++i)
            archives_.push_back(store::Archive::open(database, store::OpenMode::read_only));
        // Started once every connection is open: a connection that cannot open leaves no thread.
        for (auto& archive : archives_) threads_.emplace_back([this, &archive] { loop(archive); });
    }
    ~Reader() { finish(); }

    bool post(std::function<void(store::Archive&)> job) {
        {
            std::lock_guard lock(mutex_);
            if (finishing_ || jobs_.size() >= max_queued) return false;
            jobs_.push_back(std::move(job));
        }
        wake_.notify_one();
        return true;
    }
    // Runs what is queued, then ends the threads. Idempotent.
    void finish() {
        {
            std::lock_guard lock(mutex_);
            finishing_ = true;
        }
        wake_.notify_all();
        for (auto& thread : threads_)
            if (thread.joinable()) thread.join();
    }

  private:
    void loop(store::Archive& archive) noexcept {
        for (;;) {
            std::function<void(store::Archive&)> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return finishing_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job(archive);  // handlers catch their own exceptions (Impl::dispatch)
        }
    }

    std::deque<store::Archive> archives_;  // a deque: the threads hold references into it
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void(store::Archive&)>> jobs_;
    bool finishing_ = false;
    std::vector<std::thread> threads_;  // last: they start once the members they use exist
};

struct Connection {
    virtual ~Connection() = default;
    virtual void close() = 0;
};

}  // namespace serving

namespace {

using namespace serving;

// Reader threads: one per core, at least two (a slow request does not hold all others), at most
// four (each has its own connection and page cache).
unsigned reader_threads() {
    return std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& io_context, const config::Config& configuration, Router routes, ServerOptions opts)
        : io(io_context),
          http(configuration.http),
          config(std::make_shared<const config::Config>(configuration)),
          auth(std::make_shared<const Authenticator>(read_credentials(configuration.users))),
          router(std::move(routes)),
          options(std::move(opts)),
          reader(std::make_unique<Reader>(options.database, reader_threads())) {}

    asio::io_context& io;
    const config::Http http;
    std::shared_ptr<const config::Config> config;  // replaced on reload; jobs keep theirs
    std::shared_ptr<const Authenticator> auth;
    const Router router;
    const ServerOptions options;
    Throttle throttle;
    WebSessions sessions;
    std::optional<asio::ip::tcp::acceptor> tcp;
    std::optional<asio::local::stream_protocol::acceptor> local;
    std::filesystem::path socket_path;
    std::list<std::weak_ptr<Connection>> connections;
    int admitted = 0;  // connections counted against max_connections
    std::unique_ptr<Reader> reader;
    bool stopped = false;
    // Answers by route pattern and status, for /metrics (written on the loop, read by a scrape).
    metrics::CounterFamily requests{{"route", "code"}};

    void log(int level, const std::string& line) const {
        if (options.log) options.log(level, line);
    }

    template <class Acceptor>
    void accept(Acceptor& acceptor);
    void dispatch(Request request, std::function<void(Response)> reply);
    void write_through(std::function<void(store::Archive&)> job) const;
    void stop();
};

namespace {

// One connection: read a request within request_timeout, answer, and again while the client
// keeps it alive. The deadline is a timer of our own rather than the stream's, so that a request
// that came too slowly can still be answered 408 before the connection closes.
template <class Protocol>
class Session : public Connection, public std::enable_shared_from_this<Session<Protocol>> {
  public:
    using Socket = typename Protocol::socket;

    Session(Socket socket, std::shared_ptr<Server::Impl> server, std::string remote, bool admitted)
        : socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          server_(std::move(server)),
          remote_(std::move(remote)),
          admitted_(admitted) {
        if (admitted_) ++server_->admitted;
    }
    ~Session() override {
        if (admitted_) --server_->admitted;
    }

    void start() {
        if (!admitted_) {
            answer(json_error(503, "too many connections; try again later"), true);
            return;
        }
        read();
    }

    void close() override {
        if (closed_) return;
        closed_ = true;
        timer_.cancel();
        boost::system::error_code ignored;
        socket_.shutdown(Socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

  private:
    void arm() {
        timed_out_ = false;
        timer_.expires_after(server_->http.request_timeout);
        timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& error) {
            if (error) return;
            if (auto self = weak.lock()) {
                self->timed_out_ = true;
                boost::system::error_code ignored;
                self->socket_.cancel(ignored);
            }
        });
    }

    void read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_->http.max_header));
        parser_->body_limit(static_cast<std::uint64_t>(server_->http.max_body));
        arm();
        http::async_read(socket_, buffer_, *parser_,
                         [self = this->shared_from_this()](const boost::system::error_code& error,
                                                           std::size_t) { self->on_read(error); });
    }

    void on_read(const boost::system::error_code& error) {
        if (closed_) return;
        if (timed_out_) {
            // An idle keep-alive connection just ends; a request begun and not finished is told.
            if (parser_->got_some() || buffer_.size() > 0)
                answer(json_error(408, "the request did not arrive in time"), true);
            else
                close();
            return;
        }
        timer_.cancel();
        if (error == http::error::end_of_stream || error == asio::error::operation_aborted) return close();
        if (error == http::error::header_limit)
            return answer(json_error(431, "request headers too large"), true);
        if (error == http::error::body_limit) return answer(json_error(413, "request body too large"), true);
        if (error) {
            if (error.category() == make_error_code(http::error::bad_target).category() &&
                parser_->got_some())
                return answer(json_error(400, "malformed request"), true);
            return close();
        }
        auto message = parser_->release();
        Request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        split_target(request.target, request);
        for (const auto& field : message)
            request.headers.emplace_back(
                text::to_lower({field.name_string().data(), field.name_string().size()}),
                std::string(field.value()));
        request.body = std::move(message.body());
        // A form's fields, as Google Reader clients post them (curl's default type when none is set).
        const auto type = text::to_lower(std::string(message[http::field::content_type]));
        if (type.starts_with("application/x-www-form-urlencoded") ||
            (type.empty() && message.method() == http::verb::post))
            request.form = split_fields(request.body);
        request.remote = remote_;
        const bool keep_alive = message.keep_alive();
        server_->dispatch(std::move(request),
                          [self = this->shared_from_this(), keep_alive](Response response) {
                              self->answer(std::move(response), !keep_alive);
                          });
    }

    void answer(Response response, bool then_close) {
        if (closed_) return;
        auto message = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(response.status), 11);
        message->set(http::field::server, "feedd");
        message->set(http::field::content_type, response.content_type);
        // Inserted, not set: a response may carry several Set-Cookie fields.
        for (const auto& [name, value] : response.headers) message->insert(name, value);
        message->body() = std::move(response.body);
        message->keep_alive(!then_close);
        message->prepare_payload();
        arm();
        http::async_write(
            socket_, *message,
            [self = this->shared_from_this(), message](const boost::system::error_code& error, std::size_t) {
                self->timer_.cancel();
                if (error || self->timed_out_ || !message->keep_alive()) return self->close();
                self->read();
            });
    }

    Socket socket_;
    asio::steady_timer timer_;
    std::shared_ptr<Server::Impl> server_;
    std::string remote_;
    bool admitted_;
    bool timed_out_ = false;
    bool closed_ = false;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
};

std::string remote_of(const asio::ip::tcp::socket& socket) {
    boost::system::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    return error ? std::string("unknown") : endpoint.address().to_string();
}
std::string remote_of(const asio::local::stream_protocol::socket&) {
    return "unix";
}

}  // namespace

template <class Acceptor>
void Server::Impl::accept(Acceptor& acceptor) {
    acceptor.async_accept(
        [self = shared_from_this(), &acceptor](const boost::system::error_code& error,
                                               typename Acceptor::protocol_type::socket socket) {
            if (self->stopped || error == asio::error::operation_aborted) return;
            if (error) {
                // Out of file descriptors, mostly: this connection is lost, the listener stays.
                self->log(1, "http: accept failed: " + error.message());
            } else {
                using Protocol = typename Acceptor::protocol_type;
                std::erase_if(self->connections, [](const auto& weak) { return weak.expired(); });
                const bool admitted = self->admitted < self->http.max_connections;
                auto remote = remote_of(socket);
                auto session =
                    std::make_shared<Session<Protocol>>(std::move(socket), self, std::move(remote), admitted);
                self->connections.push_back(session);
                session->start();
            }
            self->accept(acceptor);
        });
}

void Server::Impl::dispatch(Request request, std::function<void(Response)> reply) {
    auto match = router.match(request.method, request.path);
    // Counted by the route's pattern, not its path: ids in paths would make a series per entry.
    reply = [self = shared_from_this(), route = match ? match->pattern : std::string("unmatched"),
             reply = std::move(reply)](Response response) {
        self->requests.add({route, std::to_string(response.status)});
        reply(std::move(response));
    };
    if (stopped) return reply(json_error(503, "shutting down"));
    if (!match) return reply(json_error(404, "not found"));
    if (!match->handler) return reply(json_error(405, "method not allowed"));
    std::optional<User> user;
    if (match->access == Router::Access::page) {
        // A web page: the session cookie, checked against the users as they are now (a new
        // password voids the sessions its old one opened); none needed with anonymous_read.
        if (const auto cookie = request.cookie(WebSessions::cookie_name)) {
            if (const auto held = sessions.find(*cookie)) user = auth->session(*held);
            if (user)
                user->web_session = *cookie;
            else
                sessions.close(*cookie);
        }
        if (!user && !http.anonymous_read)
            return reply(match->refusal ? match->refusal() : json_error(401, "access unauthorized"));
    } else if (match->access != Router::Access::open) {
        const auto now = Throttle::Clock::now();
        if (auto wait = throttle.closed(request.remote, now)) {
            auto response = json_error(429, "too many failed logins from this address; try again later");
            const auto seconds = std::chrono::ceil<std::chrono::seconds>(*wait).count();
            response.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, seconds)));
            return reply(std::move(response));
        }
        std::optional<User> caller;
        bool offered = false;  // some credentials came: a failure counts against the address
        if (match->access == Router::Access::login) {
            const auto name = request.field("Email"), password = request.field("Passwd");
            offered = name || password;
            if (name && password) caller = auth->login(*name, *password);
        } else {
            const auto token = request.header("x-auth-token");
            const auto authorization = request.header("authorization");
            offered = token || authorization;
            if (token)
                caller = auth->token(*token);
            else if (authorization)
                caller = auth->authorization(*authorization);
        }
        if (!caller) {
            if (offered) throttle.failed(request.remote, now);
            if (match->refusal) return reply(match->refusal());
            auto response = json_error(401, "access unauthorized");
            response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"feedd\"");
            return reply(std::move(response));
        }
        throttle.succeeded(request.remote);
        user = std::move(caller);
    }
    request.params = std::move(match->params);
    const Handler* handler = match->handler;  // the router lives as long as this
    auto job = [self = shared_from_this(), handler, configuration = config, request = std::move(request),
                user, reply](store::Archive& archive) mutable {
        Response response;
        try {
            Context context{user ? &*user : nullptr,
                            archive,
                            *configuration,
                            [&self](std::function<void(store::Archive&)> write) {
                                self->write_through(std::move(write));
                            },
                            &self->requests,
                            &self->sessions};
            response = (*handler)(request, context);
        } catch (const std::exception& e) {
            self->log(0, "http: " + request.method + " " + request.path + ": " + e.what());
            response = json_error(500, "internal error; the daemon's log says more");
        }
        // The reply holds the connection, which must end on the event loop: moved, not copied.
        asio::post(self->io, [reply = std::move(reply), response = std::move(response)]() mutable {
            reply(std::move(response));
        });
    };
    if (!reader->post(std::move(job))) reply(json_error(503, "too many requests waiting; try again later"));
}

void Server::Impl::write_through(std::function<void(store::Archive&)> job) const {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    options.post_write([done, job = std::move(job)](store::Archive& archive) {
        try {
            job(archive);
            done->set_value();
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    future.get();
}

void Server::Impl::stop() {
    if (stopped) return;
    stopped = true;
    boost::system::error_code ignored;
    if (tcp) tcp->close(ignored);
    if (local) {
        local->close(ignored);
        std::error_code not_there;
        std::filesystem::remove(socket_path, not_there);
    }
    for (auto& weak : connections)
        if (auto connection = weak.lock()) connection->close();
    connections.clear();
    reader->finish();
}

std::vector<Credentials> read_credentials(const std::vector<config::User>& users) {
    std::vector<Credentials> out;
    for (const auto& user : users) {
        Credentials credentials{user.name, {}, {}};
        try {
            credentials.password = config::resolve_secret(user.password);
            for (const auto& token : user.tokens) {
                auto value = config::resolve_secret(token);
                if (value.empty()) throw std::runtime_error("a token is empty");
                credentials.tokens.push_back(std::move(value));
            }
        } catch (const std::exception& e) {
            throw std::runtime_error("user \"" + user.name + "\": " + e.what());
        }
        out.push_back(std::move(credentials));
    }
    return out;
}

Server::Server(asio::io_context& io, const config::Config& config, Router router, ServerOptions options)
    : impl_(std::make_shared<Impl>(io, config, std::move(router), std::move(options))) {
    const std::string& listen = config.http.listen;
    try {
        if (listen.starts_with('/')) {
            // A socket file left by a daemon that did not stop cleanly would refuse the bind; any
            // other kind of file is not ours to remove.
            struct stat info {};
            if (::lstat(listen.c_str(), &info) == 0 && S_ISSOCK(info.st_mode))
                std::filesystem::remove(listen);
            impl_->socket_path = listen;
            impl_->local.emplace(io, asio::local::stream_protocol::endpoint(listen));
            impl_->accept(*impl_->local);
        } else {
            const auto colon = listen.rfind(':');
            std::string host = listen.substr(0, colon);
            if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
            const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
            impl_->tcp.emplace(io, asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
            impl_->accept(*impl_->tcp);
        }
    } catch (const boost::system::system_error& e) {
        impl_->stop();
        throw std::runtime_error("http: cannot listen on " + listen + ": " + e.code().message());
    }
}

Server::~Server() {
    stop();
}

std::string Server::endpoint() const {
    if (impl_->local) return impl_->socket_path.string();
    const auto endpoint = impl_->tcp->local_endpoint();
    const auto address = endpoint.address().to_string();
    return (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" +
           std::to_string(endpoint.port());
}

void Server::reconfigure(const config::Config& config) {
    auto auth = std::make_shared<const Authenticator>(read_credentials(config.users));
    impl_->auth = std::move(auth);
    impl_->config = std::make_shared<const config::Config>(config);
}

void Server::stop() {
    impl_->stop();
}

}  // namespace feedd::api
