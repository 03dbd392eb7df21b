#include "feedd/fetch/fetch.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpsl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "feedd/text/text.hpp"
#include "fetch/address.hpp"
#include "fetch/decode.hpp"
#include "fetch/options.hpp"

namespace feedd::fetch {
// Named, not anonymous: Fetcher::Impl's members have these types, and GCC warns
// (-Wsubobject-linkage) about a member of an anonymous namespace's type in a class defined
// outside the main file, which every file of a unity batch is.
namespace handles {

// One RAII owner per curl handle type.
struct MultiDeleter {
    void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};
struct EasyDeleter {
    void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct ShareDeleter {
    void operator()(CURLSH* share) const noexcept { curl_share_cleanup(share); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
    void operator()(char* text) const noexcept { curl_free(text); }
};
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using SharePtr = std::unique_ptr<CURLSH, ShareDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// The parts of a URL the redirect rules look at.
struct UrlParts {
    std::string scheme;
    std::string host;
    std::string port;
};

}  // namespace handles

namespace {

using namespace handles;
using Clock = std::chrono::steady_clock;

// curl_global_init is not thread-safe; a function-local static runs it once.
void ensure_curl_global() {
    static const bool initialised = [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("curl_global_init failed");
        return true;
    }();
    (void)initialised;
}

SlistPtr append(SlistPtr list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) throw std::bad_alloc();
    list.release();
    return SlistPtr(grown);
}

using text::to_lower;

std::optional<UrlParts> split_url(std::string_view url) {
    UrlPtr handle(curl_url());
    if (!handle) return std::nullopt;
    const std::string text(url);
    // Without a scheme curl would guess one; a feed URL must say it.
    if (curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        return std::nullopt;
    auto part = [&](CURLUPart which, unsigned flags) -> std::string {
        char* value = nullptr;
        if (curl_url_get(handle.get(), which, &value, flags) != CURLUE_OK || value == nullptr) return {};
        CurlString owned(value);
        return owned.get();
    };
    UrlParts parts;
    parts.scheme = to_lower(part(CURLUPART_SCHEME, 0));
    parts.host = to_lower(part(CURLUPART_HOST, 0));
    parts.port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
    return parts;
}

bool is_ip_literal(const std::string& host) {
    if (!host.empty() && host.front() == '[') return true;
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

bool is_web_scheme(const std::string& scheme) {
    return scheme == "http" || scheme == "https";
}

// The credential rule (fetch.hpp): the origin's host and port, and no http once https was seen
// (on the origin or on an earlier hop).
bool credentials_allowed_to(const UrlParts& origin, bool seen_https, const UrlParts& target) {
    return target.host == origin.host && target.port == origin.port &&
           !(seen_https && target.scheme == "http");
}

std::optional<std::string> header_value(CURL* easy, const char* name) {
    curl_header* header = nullptr;
    // -1: the last request of this transfer (we follow redirects ourselves, so one response).
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || header == nullptr)
        return std::nullopt;
    return std::string(header->value);
}

// Every value of a header that may come more than once, joined as one list ("gzip", "br" is
// "gzip, br"), in the order received.
std::string all_header_values(CURL* easy, const char* name) {
    std::string joined;
    curl_header* header = nullptr;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || header == nullptr)
        return joined;
    const std::size_t amount = header->amount;
    for (std::size_t i = 0; i < amount; ++i) {
        if (curl_easy_header(easy, name, i, CURLH_HEADER, -1, &header) != CURLHE_OK || header == nullptr)
            break;
        if (!joined.empty()) joined += ", ";
        joined += header->value;
    }
    return joined;
}

std::optional<TimePoint> http_date(const std::string& text) {
    const time_t parsed = curl_getdate(text.c_str(), nullptr);
    if (parsed < 0) return std::nullopt;
    return TimePoint{std::chrono::seconds{parsed}};
}

std::optional<std::chrono::seconds> max_age_of(const std::string& cache_control) {
    // Directives are comma-separated tokens; only max-age matters to a poller (s-maxage is for
    // shared caches, no-cache still allows polling).
    std::size_t position = 0;
    while (position < cache_control.size()) {
        std::size_t comma = cache_control.find(',', position);
        if (comma == std::string::npos) comma = cache_control.size();
        std::string directive = to_lower(cache_control.substr(position, comma - position));
        position = comma + 1;
        directive.erase(0, directive.find_first_not_of(" \t"));
        if (directive.rfind("max-age", 0) != 0) continue;
        auto equals = directive.find('=');
        if (equals == std::string::npos) continue;
        std::string value = directive.substr(equals + 1);
        value.erase(0, value.find_first_not_of(" \t\""));
        long long seconds = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (error == std::errc{} && seconds >= 0) return std::chrono::seconds{seconds};
        (void)end;
    }
    return std::nullopt;
}

std::optional<TimePoint> retry_after_of(const std::string& value, TimePoint now) {
    std::string trimmed = value;
    trimmed.erase(0, trimmed.find_first_not_of(" \t"));
    if (!trimmed.empty() && std::isdigit(static_cast<unsigned char>(trimmed[0]))) {
        long long seconds = 0;
        auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), seconds);
        if (error == std::errc{} && (end == trimmed.data() + trimmed.size() || *end == ' ' || *end == '\t'))
            return now + std::chrono::seconds{seconds};
    }
    return http_date(trimmed);
}

FetchErrorKind kind_of(CURLcode code) {
    switch (code) {
        case CURLE_OK: return FetchErrorKind::none;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return FetchErrorKind::dns;
        case CURLE_COULDNT_CONNECT: return FetchErrorKind::connect;
        case CURLE_OPERATION_TIMEDOUT: return FetchErrorKind::timeout;
        case CURLE_UNSUPPORTED_PROTOCOL: return FetchErrorKind::bad_scheme;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_USE_SSL_FAILED: return FetchErrorKind::tls;
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_OUT_OF_MEMORY:  // curl 7.88 reports response headers over its limit this way
            return FetchErrorKind::bad_response;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE: return FetchErrorKind::network;
        case CURLE_URL_MALFORMAT: return FetchErrorKind::other;
        default: return FetchErrorKind::other;
    }
}

}  // namespace

class Fetcher::Impl {
  public:
    Impl(boost::asio::io_context& io, FetcherOptions options)
        : io_(io), options_(std::move(options)), timer_(io) {
        ensure_curl_global();
        share_.reset(curl_share_init());
        if (!share_) throw std::runtime_error("curl_share_init failed");
        curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        for (const auto& entry : options_.resolve) resolve_ = append(std::move(resolve_), entry);

        multi_.reset(curl_multi_init());
        if (!multi_) throw std::runtime_error("curl_multi_init failed");
        curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
        curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
        curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
        curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, std::max(1L, options_.max_idle_connections));
    }

    ~Impl() {
        life_.reset();
        // Order matters: handles out of the multi, curl_multi_cleanup (its callbacks
        // may still fire and find our socket map), then the sockets, then the easy handles and
        // the share they use.
        std::vector<Completion> orphaned;
        for (auto& [easy, transfer] : transfers_) {
            curl_multi_remove_handle(multi_.get(), easy);
            orphaned.push_back(std::move(transfer->done));
        }
        multi_.reset();
        sockets_.clear();
        transfers_.clear();
        pool_.clear();
        for (auto& done : orphaned) {
            FetchResult result;
            result.error = FetchErrorKind::cancelled;
            result.error_message = "cancelled: fetcher shut down";
            deliver(std::move(done), std::move(result));
        }
    }

    void fetch(FetchRequest request, Completion done) {
        check_thread();
        ++*undelivered_;
        auto transfer = std::make_unique<Transfer>();
        transfer->owner = this;
        transfer->request = std::move(request);
        transfer->done = std::move(done);
        transfer->started = Clock::now();
        transfer->current_url = transfer->request.url;

        auto parts = split_url(transfer->request.url);
        if (!parts) return fail_now(std::move(transfer), FetchErrorKind::other, "not a valid URL");
        if (!is_web_scheme(parts->scheme))
            return fail_now(std::move(transfer), FetchErrorKind::bad_scheme,
                            "unsupported URL scheme \"" + parts->scheme + "\" (only http and https)");
        // Credentials belong to the origin they were configured for, which need not be this URL's
        // (a feed polled where a permanent redirect moved it).
        std::optional<UrlParts> origin = *parts;
        if (!transfer->request.credentials_origin.empty())
            origin = split_url(transfer->request.credentials_origin);
        if (origin && is_web_scheme(origin->scheme)) {
            transfer->seen_https = origin->scheme == "https" || parts->scheme == "https";
            transfer->credentials_allowed = credentials_allowed_to(*origin, transfer->seen_https, *parts);
            transfer->origin = std::move(*origin);
        } else {
            transfer->credentials_allowed = false;
        }

        transfer->easy = take_easy();
        CURL* easy = transfer->easy.get();
        configure(*transfer);
        if (!configure_hop(*transfer)) return;  // failed and completed already
        transfers_.emplace(easy, std::move(transfer));
        if (curl_multi_add_handle(multi_.get(), easy) != CURLM_OK) {
            auto owned = std::move(transfers_[easy]);
            transfers_.erase(easy);
            return fail_now(std::move(owned), FetchErrorKind::other, "could not start the transfer");
        }
    }

    void cancel_all() {
        check_thread();
        auto transfers = std::move(transfers_);
        transfers_.clear();
        for (auto& [easy, transfer] : transfers) {
            curl_multi_remove_handle(multi_.get(), easy);
            fail_now(std::move(transfer), FetchErrorKind::cancelled, "cancelled");
        }
    }

    std::size_t in_flight() const { return *undelivered_; }

  private:
    struct Transfer {
        Impl* owner = nullptr;
        EasyPtr easy;
        FetchRequest request;
        Completion done;
        Clock::time_point started;
        UrlParts origin;
        std::string current_url;
        bool seen_https = false;
        bool credentials_allowed = true;  // sticky: once dropped on a hop, never sent again
        SlistPtr headers;
        std::string body;
        std::vector<RedirectHop> redirects;
        std::int64_t bytes_received = 0;
        bool too_large = false;
        std::string blocked_address;  // set when the guard refused a connection
        char error_buffer[CURL_ERROR_SIZE] = {};
    };

    // A socket curl asked us to watch. The descriptor never owns the fd: curl closes it.
    struct SocketState {
        SocketState(boost::asio::io_context& io, curl_socket_t fd) : descriptor(io, fd), fd(fd) {}
        ~SocketState() {
            boost::system::error_code ignored;
            descriptor.cancel(ignored);
            descriptor.release();
        }
        boost::asio::posix::stream_descriptor descriptor;
        curl_socket_t fd;
        int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
        bool read_armed = false;
        bool write_armed = false;
    };

    // ---------------------------------------------------------------- setting up transfers

    EasyPtr take_easy() {
        if (!pool_.empty()) {
            EasyPtr easy = std::move(pool_.back());
            pool_.pop_back();
            curl_easy_reset(easy.get());
            return easy;
        }
        EasyPtr easy(curl_easy_init());
        if (!easy) throw std::bad_alloc();
        return easy;
    }

    void give_back(EasyPtr easy) {
        if (pool_.size() < 64) pool_.push_back(std::move(easy));
    }

    // Options that hold for every hop.
    void configure(Transfer& transfer) {
        CURL* easy = transfer.easy.get();
        const FetchRequest& request = transfer.request;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
        curl_easy_setopt(easy, CURLOPT_SHARE, share_.get());
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);  // we follow, to vet and record hops
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        // Offered by curl, decoded by feedd (decode.hpp): curl passes the bytes as they came.
        curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, detail::offered_encodings);
        curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!request.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, request.ca_file.c_str());
        // Only the proxy feeds.toml names: "" makes libcurl ignore http_proxy, https_proxy and
        // ALL_PROXY, and a NOPROXY of "" ignores NO_PROXY. Otherwise the environment would route
        // a feed through a proxy the guard cannot see past, or a feed around the configured one.
        curl_easy_setopt(easy, CURLOPT_PROXY, request.proxy.c_str());
        curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
        const std::string& agent = request.user_agent.empty() ? default_agent_ : request.user_agent;
        curl_easy_setopt(easy, CURLOPT_USERAGENT, agent.c_str());
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
        const long low_speed_seconds = std::clamp(static_cast<long>(request.timeout.count() / 1000), 1L, 30L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, low_speed_seconds);
        if (resolve_) curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve_.get());
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_socket);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &transfer);
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Impl::on_prerequest);
        curl_easy_setopt(easy, CURLOPT_PREREQDATA, &transfer);
    }

    // Options of one hop: URL, remaining time, headers and credentials for this host. Returns
    // false when the transfer failed (and was completed) instead.
    bool configure_hop(Transfer& transfer) {
        CURL* easy = transfer.easy.get();
        const FetchRequest& request = transfer.request;
        const auto elapsed = std::chrono::duration_cast<Duration>(Clock::now() - transfer.started);
        const auto remaining = request.timeout - elapsed;
        if (remaining <= Duration::zero()) {
            complete(
                transfer, FetchErrorKind::timeout,
                "timed out after " + std::to_string(elapsed.count()) + " ms (while following redirects)");
            return false;
        }
        transfer.blocked_address.clear();
        curl_easy_setopt(easy, CURLOPT_URL, transfer.current_url.c_str());
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));

        SlistPtr headers;
        // A stored validator or a configured header with a line break would smuggle in headers.
        auto add = [&headers](const std::string& name, const std::string& value) {
            if (name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
                value.find_first_of("\r\n") != std::string::npos)
                return;
            headers = append(std::move(headers), name + ": " + value);
        };
        if (!request.etag.empty()) add("If-None-Match", request.etag);
        if (!request.last_modified.empty()) add("If-Modified-Since", request.last_modified);
        if (transfer.credentials_allowed) {
            for (const auto& header : request.headers) add(header.name, header.value);
        }
        transfer.headers = std::move(headers);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers.get());

        if (transfer.credentials_allowed && !request.username.empty()) {
            curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
            curl_easy_setopt(easy, CURLOPT_USERNAME, request.username.c_str());
            curl_easy_setopt(easy, CURLOPT_PASSWORD, request.password.c_str());
        } else {
            curl_easy_setopt(easy, CURLOPT_USERNAME, nullptr);
            curl_easy_setopt(easy, CURLOPT_PASSWORD, nullptr);
        }
        return true;
    }

    // ---------------------------------------------------------------- curl callbacks (noexcept,
    // never call back into curl_multi_*)

    static size_t on_body(char* data, size_t size, size_t count, void* user) noexcept {
        auto& transfer = *static_cast<Transfer*>(user);
        const std::size_t bytes = size * count;
        // The bytes as sent, still encoded: the decoded size is capped when they are decoded
        // (complete_response), and an encoded body is smaller than that anyway.
        if (static_cast<std::int64_t>(transfer.body.size() + bytes) > transfer.request.max_body) {
            transfer.too_large = true;
            return 0;  // aborts with CURLE_WRITE_ERROR
        }
        try {
            // The announced length, once: a body that grows by doubling peaks at three times its
            // size while it is copied (docs: peak memory per body in README).
            if (transfer.body.empty()) {
                curl_off_t length = -1;
                if (curl_easy_getinfo(transfer.easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) ==
                        CURLE_OK &&
                    length > 0)
                    transfer.body.reserve(
                        static_cast<std::size_t>(std::min<std::int64_t>(length, transfer.request.max_body)));
            }
            transfer.body.append(data, bytes);
        } catch (...) {
            return 0;
        }
        return bytes;
    }

    bool address_allowed(Transfer& transfer, const sockaddr* address, const std::string& text) const {
        if (transfer.request.allow_private_networks || !transfer.request.proxy.empty()) return true;
        const bool internal = address != nullptr ? detail::is_internal_address(address)
                                                 : detail::is_internal_address(std::string_view(text));
        if (!internal) return true;
        return std::find(options_.treat_as_public.begin(), options_.treat_as_public.end(), text) !=
               options_.treat_as_public.end();
    }

    static curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) noexcept {
        auto& transfer = *static_cast<Transfer*>(user);
        try {
            if (purpose == CURLSOCKTYPE_IPCXN) {
                const std::string text = detail::address_to_string(&address->addr);
                if (!transfer.owner->address_allowed(transfer, &address->addr, text)) {
                    transfer.blocked_address = text;
                    return CURL_SOCKET_BAD;  // curl tries the host's other addresses, if any
                }
            }
        } catch (...) {
            return CURL_SOCKET_BAD;
        }
        return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    }

    // Runs for every request, also on a reused connection, with the address actually connected.
    static int on_prerequest(void* user, char* connected_ip, char*, int, int) noexcept {
        auto& transfer = *static_cast<Transfer*>(user);
        try {
            const std::string text = connected_ip != nullptr ? connected_ip : "";
            if (!transfer.owner->address_allowed(transfer, nullptr, text)) {
                transfer.blocked_address = text;
                return CURL_PREREQFUNC_ABORT;
            }
        } catch (...) {
            return CURL_PREREQFUNC_ABORT;
        }
        return CURL_PREREQFUNC_OK;
    }

    static int on_socket(CURL*, curl_socket_t fd, int what, void* user, void* socket_data) noexcept {
        auto& self = *static_cast<Impl*>(user);
        try {
            if (what == CURL_POLL_REMOVE) {
                // Pending waits complete with operation_aborted; their weak_ptr then expires.
                self.sockets_.erase(fd);
                return 0;
            }
            std::shared_ptr<SocketState> state;
            if (socket_data != nullptr) {
                auto it = self.sockets_.find(fd);
                if (it != self.sockets_.end() && it->second.get() == socket_data) state = it->second;
            }
            if (!state) {
                state = std::make_shared<SocketState>(self.io_, fd);
                self.sockets_[fd] = state;
                curl_multi_assign(self.multi_.get(), fd, state.get());
            }
            state->wanted = what;
            self.arm(state);
        } catch (...) {
            return -1;
        }
        return 0;
    }

    static int on_timer(CURLM*, long timeout_ms, void* user) noexcept {
        auto& self = *static_cast<Impl*>(user);
        if (timeout_ms < 0) {
            self.timer_.cancel();
            return 0;
        }
        if (timeout_ms == 0) {
            // curl asks for "now" after every handle added: a posted step, not the timer, whose
            // re-arming costs a timerfd_settime system call each time (6 % of a poll's CPU where
            // most answers are 304s). One step serves every request added before it runs.
            self.timer_.cancel();
            self.schedule_timeout();
            return 0;
        }
        // The wait always completes later, from io.run(), so a short timeout never re-enters curl.
        self.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
        self.timer_.async_wait([&self, life = std::weak_ptr<char>(self.life_)](boost::system::error_code ec) {
            if (ec || life.expired()) return;
            int running = 0;
            curl_multi_socket_action(self.multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
            self.schedule_reap();
        });
        return 0;
    }

    // ---------------------------------------------------------------- Asio side

    void arm(const std::shared_ptr<SocketState>& state) {
        using Wait = boost::asio::posix::stream_descriptor::wait_type;
        if ((state->wanted & CURL_POLL_IN) && !state->read_armed) {
            state->read_armed = true;
            state->descriptor.async_wait(
                Wait::wait_read,
                [this, weak = std::weak_ptr<SocketState>(state), life = std::weak_ptr<char>(life_)](
                    boost::system::error_code ec) { on_ready(weak, life, ec, CURL_CSELECT_IN); });
        }
        if ((state->wanted & CURL_POLL_OUT) && !state->write_armed) {
            state->write_armed = true;
            state->descriptor.async_wait(
                Wait::wait_write,
                [this, weak = std::weak_ptr<SocketState>(state), life = std::weak_ptr<char>(life_)](
                    boost::system::error_code ec) { on_ready(weak, life, ec, CURL_CSELECT_OUT); });
        }
    }

    void on_ready(const std::weak_ptr<SocketState>& weak, const std::weak_ptr<char>& life,
                  boost::system::error_code ec, int direction) noexcept {
        if (life.expired()) return;
        auto state = weak.lock();
        if (!state) return;  // curl let go of this socket (its fd may already be another one's)
        (direction == CURL_CSELECT_IN ? state->read_armed : state->write_armed) = false;
        if (ec == boost::asio::error::operation_aborted) return;
        // curl may have stopped wanting this direction since the wait was armed.
        if (!(state->wanted & (direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT))) return;
        const int flags = ec ? CURL_CSELECT_ERR : direction;
        int running = 0;
        curl_multi_socket_action(multi_.get(), state->fd, flags, &running);
        // Asio waits fire once: wait again while curl still wants this socket.
        auto it = sockets_.find(state->fd);
        if (it != sockets_.end() && it->second == state) {
            try {
                arm(state);
            } catch (...) {
            }
        }
        schedule_reap();
    }

    void schedule_timeout() {
        if (timeout_posted_) return;
        timeout_posted_ = true;
        boost::asio::post(io_, [this, life = std::weak_ptr<char>(life_)] {
            if (life.expired()) return;
            timeout_posted_ = false;
            int running = 0;
            curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
            schedule_reap();
        });
    }

    void schedule_reap() {
        if (reap_posted_) return;
        reap_posted_ = true;
        boost::asio::post(io_, [this, life = std::weak_ptr<char>(life_)] {
            if (life.expired()) return;
            reap_posted_ = false;
            reap();
        });
    }

    // Finished transfers, read in a posted step outside socket_action: a completion may start new
    // fetches, and curl refuses calls made from inside its own callbacks (CURLM_RECURSIVE_API_CALL).
    void reap() {
        std::vector<std::pair<CURL*, CURLcode>> finished;
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
            if (message->msg == CURLMSG_DONE)
                finished.emplace_back(message->easy_handle, message->data.result);
        }
        for (auto [easy, code] : finished) {
            auto it = transfers_.find(easy);
            if (it == transfers_.end()) continue;
            curl_multi_remove_handle(multi_.get(), easy);
            on_hop_done(it->first, code);
        }
    }

    void on_hop_done(CURL* easy, CURLcode code) {
        Transfer& transfer = *transfers_.at(easy);
        curl_off_t downloaded = 0;
        long header_bytes = 0;
        curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
        curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &header_bytes);
        transfer.bytes_received += downloaded + header_bytes;

        if (code != CURLE_OK) return complete_curl_error(transfer, code);

        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        const bool redirect =
            status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        char* location = nullptr;
        curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location);
        if (!redirect || location == nullptr) return complete_response(transfer, status);

        const std::string target = location;
        transfer.redirects.push_back({transfer.current_url, target, status});
        if (static_cast<int>(transfer.redirects.size()) > transfer.request.max_redirects)
            return complete(transfer, FetchErrorKind::too_many_redirects,
                            "more than " + std::to_string(transfer.request.max_redirects) + " redirects");
        auto parts = split_url(target);
        if (!parts) return complete(transfer, FetchErrorKind::bad_response, "redirect to an invalid URL");
        if (!is_web_scheme(parts->scheme))
            return complete(transfer, FetchErrorKind::bad_scheme,
                            "redirect to unsupported scheme \"" + parts->scheme + "\" (only http and https)");
        // Credentials go to the host they were given for, and never down to plain http.
        if (!credentials_allowed_to(transfer.origin, transfer.seen_https, *parts))
            transfer.credentials_allowed = false;
        transfer.seen_https = transfer.seen_https || parts->scheme == "https";
        transfer.current_url = target;
        transfer.body.clear();
        if (!configure_hop(transfer)) return;
        if (curl_multi_add_handle(multi_.get(), easy) != CURLM_OK)
            complete(transfer, FetchErrorKind::other, "could not follow the redirect");
    }

    void complete_curl_error(Transfer& transfer, CURLcode code) {
        if (transfer.too_large)
            return complete(transfer, FetchErrorKind::too_large, too_large_message(transfer, false));
        const bool refused = code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK;
        if (refused && !transfer.blocked_address.empty())
            return complete(transfer, FetchErrorKind::blocked_address,
                            "refused to connect to internal address " + transfer.blocked_address +
                                " (allow_private_networks = false)");
        std::string message =
            transfer.error_buffer[0] != '\0' ? transfer.error_buffer : curl_easy_strerror(code);
        if (code == CURLE_OUT_OF_MEMORY) message = "response could not be held (headers over curl's limit?)";
        std::replace(message.begin(), message.end(), '\n', ' ');
        while (!message.empty() && message.back() == ' ') message.pop_back();
        // OpenSSL's own words ("SSL_ERROR_SYSCALL") do not say that the secure connection failed.
        if (kind_of(code) == FetchErrorKind::tls) message = "TLS failed: " + message;
        complete(transfer, kind_of(code), message);
    }

    // `decoded`: the limit was passed by the body's decoding, not by the bytes as sent (a bomb
    // passes it only there; an endless or huge plain body already on the wire).
    static std::string too_large_message(const Transfer& transfer, bool decoded) {
        return "body larger than " + std::to_string(transfer.request.max_body) + " bytes" +
               (decoded ? " (decoded)" : "");
    }

    void complete_response(Transfer& transfer, long status) {
        CURL* easy = transfer.easy.get();
        FetchResult result;
        result.status = status;
        const TimePoint now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        if (auto value = header_value(easy, "ETag")) result.etag = *value;
        if (auto value = header_value(easy, "Last-Modified")) result.last_modified = *value;
        if (auto value = header_value(easy, "Content-Type")) result.content_type = *value;
        if (auto value = header_value(easy, "Retry-After")) result.retry_after = retry_after_of(*value, now);
        if (auto value = header_value(easy, "Cache-Control")) result.max_age = max_age_of(*value);
        if (auto value = header_value(easy, "Expires")) {
            // An invalid Expires ("0", "-1") means already expired (RFC 9111 5.3).
            result.expires = http_date(*value).value_or(now);
        }
        if (auto value = header_value(easy, "Date")) result.server_date = http_date(*value);
        char* effective = nullptr;
        curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
        result.final_url = effective != nullptr ? effective : transfer.current_url;
        result.body = std::move(transfer.body);
        const auto decoded = detail::decode_body(result.body, all_header_values(easy, "Content-Encoding"),
                                                 transfer.request.max_body);
        const bool answered = (status >= 200 && status < 300) || status == 304;
        if (decoded.error != detail::Decoded::Error::none) {
            // An error page's body is not read: only its status counts.
            result.body.clear();
            if (answered && decoded.error == detail::Decoded::Error::too_large)
                return complete(transfer, FetchErrorKind::too_large, too_large_message(transfer, true));
            if (answered)
                return complete(transfer, FetchErrorKind::bad_response,
                                "the body could not be decoded (" + decoded.message + ")");
        }
        if (!answered) {
            result.error = FetchErrorKind::http;
            const char* reason = nullptr;
            switch (status) {
                case 404: reason = " Not Found"; break;
                case 410: reason = " Gone"; break;
                case 429: reason = " Too Many Requests"; break;
                case 500: reason = " Internal Server Error"; break;
                case 503: reason = " Service Unavailable"; break;
                default: reason = ""; break;
            }
            result.error_message = "HTTP " + std::to_string(status) + reason;
        }
        finish(transfer, std::move(result));
    }

    void complete(Transfer& transfer, FetchErrorKind kind, std::string message) {
        FetchResult result;
        result.error = kind;
        result.error_message = std::move(message);
        long status = 0;
        curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &status);
        result.status = status;
        result.final_url = transfer.current_url;
        finish(transfer, std::move(result));
    }

    // Hands the result over (posted) and forgets the transfer.
    void finish(Transfer& transfer, FetchResult result) {
        result.redirects = std::move(transfer.redirects);
        result.bytes_received = transfer.bytes_received;
        result.elapsed = std::chrono::duration_cast<Duration>(Clock::now() - transfer.started);
        auto it = transfers_.find(transfer.easy.get());
        std::unique_ptr<Transfer> owned;
        if (it != transfers_.end()) {
            owned = std::move(it->second);
            transfers_.erase(it);
        }
        Completion done = std::move(transfer.done);
        if (transfer.easy) give_back(std::move(transfer.easy));
        deliver(std::move(done), std::move(result));
    }

    void fail_now(std::unique_ptr<Transfer> transfer, FetchErrorKind kind, std::string message) {
        FetchResult result;
        result.error = kind;
        result.error_message = std::move(message);
        result.final_url = transfer->current_url;
        result.redirects = std::move(transfer->redirects);
        result.elapsed = std::chrono::duration_cast<Duration>(Clock::now() - transfer->started);
        if (transfer->easy) give_back(std::move(transfer->easy));
        deliver(std::move(transfer->done), std::move(result));
    }

    // Completions always run from a posted step, so callers are never re-entered; a transfer
    // counts as in flight until its completion has run.
    void deliver(Completion done, FetchResult result) {
        boost::asio::post(
            io_, [done = std::move(done), result = std::move(result), undelivered = undelivered_]() mutable {
                --*undelivered;
                done(std::move(result));
            });
    }

    void check_thread() {
        const auto current = std::this_thread::get_id();
        if (thread_ == std::thread::id{}) thread_ = current;
        assert(thread_ == current && "Fetcher used from two threads");
    }

    boost::asio::io_context& io_;
    FetcherOptions options_;
    std::string default_agent_ = default_user_agent();
    std::shared_ptr<char> life_ = std::make_shared<char>();  // handlers check it before touching us
    std::thread::id thread_;
    std::shared_ptr<std::size_t> undelivered_ = std::make_shared<std::size_t>(0);
    bool reap_posted_ = false;
    bool timeout_posted_ = false;
    SlistPtr resolve_;
    // Destroyed in reverse: the destructor body empties these in curl's order first.
    SharePtr share_;
    std::vector<EasyPtr> pool_;
    std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
    std::map<curl_socket_t, std::shared_ptr<SocketState>> sockets_;
    boost::asio::steady_timer timer_;
    MultiPtr multi_;
};

Fetcher::Fetcher(boost::asio::io_context& io) : Fetcher(io, FetcherOptions{}) {}
Fetcher::Fetcher(boost::asio::io_context& io, const FetcherOptions& options)
    : impl_(std::make_unique<Impl>(io, options)) {}
Fetcher::~Fetcher() = default;
void Fetcher::fetch(FetchRequest request, Completion done) {
    impl_->fetch(std::move(request), std::move(done));
}
void Fetcher::cancel_all() {
    impl_->cancel_all();
}
std::size_t Fetcher::in_flight() const {
    return impl_->in_flight();
}

std::string registered_domain(std::string_view host) {
    struct PslDeleter {
        void operator()(psl_ctx_t* context) const noexcept { psl_free(context); }
    };
    // The system list (publicsuffix package) is newer than the built-in one; thread-safe init.
    static const std::unique_ptr<psl_ctx_t, PslDeleter> context([] {
        psl_ctx_t* latest = psl_latest(nullptr);
        return latest != nullptr ? latest : const_cast<psl_ctx_t*>(psl_builtin());
    }());
    std::string name = to_lower(host);
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || context == nullptr || is_ip_literal(name)) return name;
    const char* domain = psl_registrable_domain(context.get(), name.c_str());
    return domain != nullptr ? std::string(domain) : name;
}

bool credentials_may_go_to(std::string_view origin, std::string_view url) {
    const auto from = split_url(origin);
    const auto to = split_url(url);
    if (!from || !to || !is_web_scheme(from->scheme) || !is_web_scheme(to->scheme)) return false;
    return credentials_allowed_to(*from, from->scheme == "https", *to);
}

std::string default_user_agent() {
    return "feedd/" FEEDD_VERSION " (+" FEEDD_PROJECT_URL ")";
}

}  // namespace feedd::fetch
