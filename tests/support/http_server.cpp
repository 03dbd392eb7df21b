// The test HTTP server (http_server.hpp), compiled once for every test program that links
// feedd_test_http.
#include "support/http_server.hpp"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace feedd::test {

namespace {

// zlib's deflate of the whole of `data` in one call; `window_bits` picks the wrapper (zlib's:
// 15 + 16 gzip, 15 zlib, -15 none).
std::string deflate_all(std::string_view data, int level, int window_bits) {
    z_stream stream{};
    if (deflateInit2(&stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&stream, static_cast<uLong>(data.size())) + 64, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&stream, Z_FINISH);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    out.resize(stream.total_out);
    return out;
}

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
    return deflate_all(data, level, 15 + 16);
}

std::string content_encode(std::string_view data, std::string_view coding) {
    if (coding == "gzip") return gzip_compress(data);
    if (coding == "br") {
        std::string out(BrotliEncoderMaxCompressedSize(data.size()) + 64, '\0');
        std::size_t size = out.size();
        if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
                                   data.size(), reinterpret_cast<const std::uint8_t*>(data.data()), &size,
                                   reinterpret_cast<std::uint8_t*>(out.data())))
            throw std::runtime_error("BrotliEncoderCompress failed");
        out.resize(size);
        return out;
    }
    if (coding == "zstd") {
        std::string out(ZSTD_compressBound(data.size()), '\0');
        const auto size = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
        if (ZSTD_isError(size)) throw std::runtime_error("ZSTD_compress failed");
        out.resize(size);
        return out;
    }
    if (coding == "deflate") return deflate_all(data, Z_DEFAULT_COMPRESSION, 15);
    if (coding == "raw-deflate") return deflate_all(data, Z_DEFAULT_COMPRESSION, -15);
    throw std::invalid_argument("no such coding");
}

std::string gzip_zeros(std::size_t size, std::string_view prefix) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    const std::string zeros(1 << 20, '\0');
    std::string out;
    char buffer[1 << 16];
    std::size_t left = size;
    int rc = Z_OK;
    if (!prefix.empty()) {
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(prefix.data()));
        stream.avail_in = static_cast<uInt>(prefix.size());
        do {
            stream.next_out = reinterpret_cast<Bytef*>(buffer);
            stream.avail_out = sizeof buffer;
            deflate(&stream, Z_NO_FLUSH);
            out.append(buffer, sizeof buffer - stream.avail_out);
        } while (stream.avail_out == 0 || stream.avail_in > 0);
    }
    do {
        const std::size_t piece = std::min(left, zeros.size());
        left -= piece;
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
        stream.avail_in = static_cast<uInt>(piece);
        const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
        do {
            stream.next_out = reinterpret_cast<Bytef*>(buffer);
            stream.avail_out = sizeof buffer;
            rc = deflate(&stream, flush);
            out.append(buffer, sizeof buffer - stream.avail_out);
        } while (stream.avail_out == 0);
    } while (left > 0);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

struct HttpServer::Impl {
    struct State {
        mutable std::mutex mutex;
        std::map<std::string, Handler, std::less<>> routes;
        std::vector<Request> log;
        bool keep_log = true;
        std::size_t received = 0;
        std::size_t connections = 0;
        std::map<std::string, std::size_t> active, max_active;
        std::size_t active_total = 0, max_active_total = 0;
        std::map<std::string, std::size_t> open, max_open;

        void opened(const std::string& host) {
            std::lock_guard lock(mutex);
            max_open[host] = std::max(max_open[host], ++open[host]);
        }
        void closed(const std::string& host) {
            std::lock_guard lock(mutex);
            --open[host];
        }

        void begin(const std::string& host) {
            std::lock_guard lock(mutex);
            const std::size_t now = ++active[host];
            max_active[host] = std::max(max_active[host], now);
            max_active_total = std::max(max_active_total, ++active_total);
        }
        void end(const std::string& host) {
            std::lock_guard lock(mutex);
            --active[host];
            --active_total;
        }
    };

    // One connection; `Stream` is a tcp::socket or an ssl::stream over one.
    template <class Stream>
    class Session : public std::enable_shared_from_this<Session<Stream>> {
      public:
        template <class... StreamArgs>
        Session(std::shared_ptr<State> state, std::size_t serial, StreamArgs&&... stream_args)
            : socket_(std::forward<StreamArgs>(stream_args)...),
              timer_(socket_.get_executor()),
              state_(std::move(state)),
              serial_(serial) {}
        ~Session() {
            finish_request();
            if (connection_host_) state_->closed(*connection_host_);
        }

        void start() {
            if constexpr (std::is_same_v<Stream, boost::asio::ip::tcp::socket>) {
                read();
            } else {
                socket_.async_handshake(boost::asio::ssl::stream_base::server,
                                        [self = this->shared_from_this()](boost::system::error_code ec) {
                                            if (ec) return self->close();
                                            self->read();
                                        });
            }
        }

      private:
        void read() {
            parser_.emplace();
            parser_->header_limit(64 * 1024);
            parser_->body_limit(1 << 20);
            boost::beast::http::async_read(
                socket_, buffer_, *parser_,
                [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                    self->on_read(ec);
                });
        }

      private:
        void on_read(boost::system::error_code ec) {
            if (ec) return close();
            const auto& message = parser_->get();
            Request request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            request.path = request.target.substr(0, request.target.find('?'));
            for (const auto& field : message) {
                std::string name(field.name_string());
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                request.headers[name] = std::string(field.value());
            }
            request.host = request.header("host");
            if (auto colon = request.host.rfind(':');
                colon != std::string::npos && request.host.find(']', colon) == std::string::npos)
                request.host.resize(colon);
            std::transform(request.host.begin(), request.host.end(), request.host.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            request.body = message.body();
            request.connection = serial_;
            request.received = std::chrono::steady_clock::now();
            keep_alive_ = message.keep_alive();

            Handler handler;
            {
                std::lock_guard lock(state_->mutex);
                ++state_->received;
                if (state_->keep_log) state_->log.push_back(request);
                if (auto it = state_->routes.find(request.path); it != state_->routes.end())
                    handler = it->second;
            }
            host_ = request.host;
            counting_ = true;
            if (!connection_host_) {
                connection_host_ = request.host;
                state_->opened(request.host);
            }
            state_->begin(host_);

            Response response = handler ? handler(request) : Response::with_status(404, "not found");
            if (response.delay.count() > 0) {
                timer_.expires_after(response.delay);
                timer_.async_wait([self = this->shared_from_this(), response = std::move(response)](
                                      boost::system::error_code wait_ec) mutable {
                    if (!wait_ec) self->respond(std::move(response));
                });
            } else {
                respond(std::move(response));
            }
        }

        void respond(Response response) {
            using Fault = Response::Fault;
            if (response.fault == Fault::stall_before_headers) return wait_for_close();
            if (response.gzip) {
                response.body = gzip_compress(response.body);
                response.headers.emplace_back("Content-Encoding", "gzip");
            }
            const bool close_after = response.close || !keep_alive_ || response.fault != Fault::none;
            std::string head = "HTTP/1.1 " + std::to_string(response.status) + " ";
            head += std::string(boost::beast::http::obsolete_reason(
                boost::beast::http::int_to_status(static_cast<unsigned>(response.status))));
            head += "\r\n";
            for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
            if (response.huge_header_bytes > 0)
                head += "X-Padding: " + std::string(response.huge_header_bytes, 'x') + "\r\n";
            for (std::size_t i = 0; i < response.huge_header_lines; ++i) {
                std::string line = "X-Line-" + std::to_string(i) + ": ";
                head += line + std::string(98 - std::min<std::size_t>(line.size(), 90), 'y') + "\r\n";
            }
            if (response.fault == Fault::bad_chunked)
                head += "Transfer-Encoding: chunked\r\n";
            else if (response.fault != Fault::endless_body)
                head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
            head += close_after ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
            head += "\r\n";

            switch (response.fault) {
                case Fault::none:
                    out_ = head + response.body;
                    return write([close_after](Session& self) {
                        self.finish_request();
                        if (close_after) return self.close();
                        self.read();
                    });
                case Fault::stall_mid_body:
                case Fault::reset_mid_body: {
                    const bool reset = response.fault == Fault::reset_mid_body;
                    out_ = head + response.body.substr(0, response.fault_after_bytes);
                    return write([reset](Session& self) {
                        if (!reset) return self.wait_for_close();
                        boost::system::error_code ignored;
                        self.socket_.lowest_layer().set_option(boost::asio::socket_base::linger(true, 0),
                                                               ignored);
                        self.socket_.lowest_layer().close(ignored);
                        self.finish_request();
                    });
                }
                case Fault::endless_body:
                    out_ = head;
                    chunk_ = response.body.empty() ? std::string(64 * 1024, '\0') : response.body;
                    return write([](Session& self) { self.write_forever(); });
                case Fault::drip:
                    out_ = head;
                    chunk_ = std::move(response.body);
                    drip_interval_ = response.drip_interval;
                    return write([](Session& self) { self.drip(0); });
                case Fault::bad_chunked: {
                    char size[32];
                    std::snprintf(size, sizeof size, "%zx\r\n", response.body.size());
                    out_ = head + size + response.body + "\r\n" + response.bad_chunk_size + "\r\n" +
                           std::string(64, 'z') + "\r\n";
                    return write([](Session& self) { self.wait_for_close(); });
                }
                case Fault::stall_before_headers: break;
            }
        }

        template <class Then>
        void write(Then then) {
            boost::asio::async_write(
                socket_, boost::asio::buffer(out_),
                [self = this->shared_from_this(), then](boost::system::error_code ec, std::size_t) {
                    if (ec) return self->close();
                    then(*self);
                });
        }

        void write_forever() {
            boost::asio::async_write(
                socket_, boost::asio::buffer(chunk_),
                [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                    if (ec) return self->close();
                    self->write_forever();
                });
        }

        // Byte `next` of chunk_ after a timer; the response is complete (and the connection closed)
        // after the last. A client that gave up shows as a failed write, which ends the session.
        void drip(std::size_t next) {
            if (next >= chunk_.size()) {
                finish_request();
                return close();
            }
            timer_.expires_after(drip_interval_);
            timer_.async_wait([self = this->shared_from_this(), next](boost::system::error_code ec) {
                if (ec) return;
                boost::asio::async_write(self->socket_, boost::asio::buffer(self->chunk_.data() + next, 1),
                                         [self, next](boost::system::error_code write_ec, std::size_t) {
                                             if (write_ec) return self->close();
                                             self->drip(next + 1);
                                         });
            });
        }

        // Reads and drops whatever arrives until the client closes.
        void wait_for_close() {
            socket_.async_read_some(
                boost::asio::buffer(scratch_),
                [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                    if (ec) return self->close();
                    self->wait_for_close();
                });
        }

        void finish_request() {
            if (!counting_) return;
            counting_ = false;
            state_->end(host_);
        }

        void close() {
            boost::system::error_code ignored;
            socket_.lowest_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
            socket_.lowest_layer().close(ignored);
            finish_request();
        }

        Stream socket_;
        boost::asio::steady_timer timer_;
        boost::beast::flat_buffer buffer_;
        std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
        std::shared_ptr<State> state_;
        std::size_t serial_;
        std::string host_;
        std::optional<std::string> connection_host_;  // the Host of its first request
        bool counting_ = false;
        bool keep_alive_ = true;
        std::string out_;
        std::string chunk_;
        std::chrono::milliseconds drip_interval_{1000};
        char scratch_[4096];
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
            if (ec) return;
            std::size_t serial;
            {
                std::lock_guard lock(state_->mutex);
                serial = ++state_->connections;
            }
            if (tls_)
                std::make_shared<Session<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>>(
                    state_, serial, std::move(socket), *tls_)
                    ->start();
            else
                std::make_shared<Session<boost::asio::ip::tcp::socket>>(state_, serial, std::move(socket))
                    ->start();
            accept();
        });
    }

    explicit Impl(ServerOptions options)
        : state_(std::make_shared<State>()), acceptor_(io_), address_(std::move(options.address)) {
        namespace ip = boost::asio::ip;
        if (!options.tls_certificate_file.empty()) {
            tls_ = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
            tls_->use_certificate_chain_file(options.tls_certificate_file);
            tls_->use_private_key_file(options.tls_key_file, boost::asio::ssl::context::pem);
        }
        const ip::tcp::endpoint endpoint(ip::make_address_v4(address_), options.port);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(ip::tcp::acceptor::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        io_.stop();
        if (thread_.joinable()) thread_.join();
    }

    // Order matters: sessions (owned by pending handlers inside io_) touch state_ and use tls_
    // until they are destroyed with io_.
    std::shared_ptr<State> state_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::string address_;
    unsigned short port_ = 0;
    std::thread thread_;
};

namespace {

std::size_t count_for(const std::map<std::string, std::size_t>& counts, const std::string& host) {
    auto it = counts.find(host);
    return it == counts.end() ? 0 : it->second;
}

}  // namespace

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() = default;

unsigned short HttpServer::port() const {
    return impl_->port_;
}

const std::string& HttpServer::address() const {
    return impl_->address_;
}

std::string HttpServer::url(std::string_view path, std::string_view host) const {
    return (impl_->tls_ ? "https://" : "http://") +
           std::string(host.empty() ? std::string_view(impl_->address_) : host) + ":" +
           std::to_string(impl_->port_) + std::string(path);
}

std::string HttpServer::resolve_entry(std::string_view host) const {
    return std::string(host) + ":" + std::to_string(impl_->port_) + ":" + impl_->address_;
}

void HttpServer::route(std::string path, Handler handler) {
    std::lock_guard lock(impl_->state_->mutex);
    impl_->state_->routes[std::move(path)] = std::move(handler);
}

std::vector<Request> HttpServer::requests() const {
    std::lock_guard lock(impl_->state_->mutex);
    return impl_->state_->log;
}

std::vector<Request> HttpServer::requests(std::string_view path) const {
    std::lock_guard lock(impl_->state_->mutex);
    std::vector<Request> out;
    for (const auto& request : impl_->state_->log)
        if (request.path == path) out.push_back(request);
    return out;
}

void HttpServer::keep_log(bool keep) {
    std::lock_guard lock(impl_->state_->mutex);
    impl_->state_->keep_log = keep;
}

std::size_t HttpServer::request_count() const {
    std::lock_guard lock(impl_->state_->mutex);
    return impl_->state_->received;
}

std::size_t HttpServer::connection_count() const {
    std::lock_guard lock(impl_->state_->mutex);
    return impl_->state_->connections;
}

std::size_t HttpServer::max_concurrent(const std::string& host) const {
    std::lock_guard lock(impl_->state_->mutex);
    return count_for(impl_->state_->max_active, host);
}

std::size_t HttpServer::max_open_connections(const std::string& host) const {
    std::lock_guard lock(impl_->state_->mutex);
    return count_for(impl_->state_->max_open, host);
}

std::size_t HttpServer::max_concurrent_total() const {
    std::lock_guard lock(impl_->state_->mutex);
    return impl_->state_->max_active_total;
}

std::size_t HttpServer::active() const {
    std::lock_guard lock(impl_->state_->mutex);
    return impl_->state_->active_total;
}

}  // namespace feedd::test
