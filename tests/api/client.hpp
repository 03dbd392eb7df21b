// A plain HTTP/1.1 client for the API tests: Beast's synchronous reads on a socket of its own,
// so that a test can also send bytes by hand (slow or oversized requests).
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <vector>

namespace feedd::test {

struct Answer {
    int status = 0;
    std::string body;
    std::string header(const std::string& name) const {
        auto it = fields.find(name);
        return it == fields.end() ? std::string() : std::string(it->value());
    }
    boost::beast::http::fields fields;
};

inline std::string basic(const std::string& user, const std::string& password) {
    const std::string plain = user + ":" + password;
    std::string out(boost::beast::detail::base64::encoded_size(plain.size()), '\0');
    out.resize(boost::beast::detail::base64::encode(out.data(), plain.data(), plain.size()));
    return "Basic " + out;
}

// One connection to "HOST:PORT" (from Server::endpoint) or to a unix socket path.
template <class Protocol = boost::asio::ip::tcp>
class Connection {
  public:
    explicit Connection(const std::string& endpoint, const std::string& from = {}) : socket_(io_) {
        if constexpr (std::is_same_v<Protocol, boost::asio::ip::tcp>) {
            const auto colon = endpoint.rfind(':');
            const auto address = boost::asio::ip::make_address(endpoint.substr(0, colon));
            const auto port = static_cast<unsigned short>(std::stoi(endpoint.substr(colon + 1)));
            if (!from.empty()) {
                socket_.open(boost::asio::ip::tcp::v4());
                socket_.bind({boost::asio::ip::make_address(from), 0});
            }
            socket_.connect({address, port});
        } else {
            socket_.connect(typename Protocol::endpoint(endpoint));
        }
    }

    void send_raw(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }

    Answer request(const std::string& method, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                   const std::string& body = {}) {
        namespace http = boost::beast::http;
        http::request<http::string_body> request(http::string_to_verb(method), target, 11);
        request.set(http::field::host, "localhost");
        for (const auto& [name, value] : headers) request.set(name, value);
        request.body() = body;
        request.prepare_payload();
        http::write(socket_, request);
        return read();
    }

    // The next answer on this connection.
    Answer read() {
        namespace http = boost::beast::http;
        http::response<http::string_body> response;
        http::read(socket_, buffer_, response);
        Answer answer;
        answer.status = static_cast<int>(response.result_int());
        answer.body = response.body();
        answer.fields = response.base();
        return answer;
    }

    // True when the peer closed the connection (reads until then, discarding what comes).
    bool closed_by_peer() {
        char scratch[256];
        boost::system::error_code error;
        while (!error) socket_.read_some(boost::asio::buffer(scratch), error);
        return error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
    }

  private:
    boost::asio::io_context io_;
    typename Protocol::socket socket_;
    boost::beast::flat_buffer buffer_;
};

// One request on a connection of its own.
inline Answer fetch(const std::string& endpoint, const std::string& method, const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    const std::string& body = {}) {
    Connection<> connection(endpoint);
    return connection.request(method, target, headers, body);
}

}  // namespace feedd::test
