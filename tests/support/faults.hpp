// Fault routes: a hostile server's behaviours as handlers for HttpServer::route, so that a test
// names the fault it wants instead of setting the server's knobs by hand, and every test that
// meets (say) a reset mid-body meets the same one. Each takes the response the fault wraps: the
// body a stalled, cut or dripped answer would have carried.
//
//     server.route("/reset", faults::reset_mid_body(Response::text(feed), 1000));
//     server.route("/bomb", faults::gzip_encoded(Response::text(gzip_zeros(64u << 20))));
//     server.route("/loop", faults::redirect(302, "/loop"));
//     HttpServer https(faults::tls_options());  // a certificate that only the test CA signed
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

#include "support/http_server.hpp"

namespace feedd::test::faults {

namespace detail {
inline Handler answer(Response response) {
    return [response = std::move(response)](const Request&) { return response; };
}
}  // namespace detail

// Takes the request, then sends nothing until the client gives up.
inline Handler stall_before_headers(Response response = Response::text("never")) {
    response.fault = Response::Fault::stall_before_headers;
    return detail::answer(std::move(response));
}

// Headers with the whole Content-Length and `after_bytes` of the body, then nothing.
inline Handler stall_mid_body(Response response, std::size_t after_bytes) {
    response.fault = Response::Fault::stall_mid_body;
    response.fault_after_bytes = after_bytes;
    return detail::answer(std::move(response));
}

// Headers with the whole Content-Length and `after_bytes` of the body, then a TCP reset.
inline Handler reset_mid_body(Response response, std::size_t after_bytes) {
    response.fault = Response::Fault::reset_mid_body;
    response.fault_after_bytes = after_bytes;
    return detail::answer(std::move(response));
}

// No Content-Length, and the body (zeros when empty) repeated without end.
inline Handler endless_body(Response response) {
    response.fault = Response::Fault::endless_body;
    return detail::answer(std::move(response));
}

// The headers at once, then one byte of the body per `interval`.
inline Handler drip(Response response, std::chrono::milliseconds interval) {
    response.fault = Response::Fault::drip;
    response.drip_interval = interval;
    return detail::answer(std::move(response));
}

// Chunked: the body as one valid chunk, then a chunk size that is not hex, then nothing.
inline Handler bad_chunked(Response response) {
    response.fault = Response::Fault::bad_chunked;
    return detail::answer(std::move(response));
}

// One header line of `bytes` bytes.
inline Handler huge_header(Response response, std::size_t bytes) {
    response.huge_header_bytes = bytes;
    return detail::answer(std::move(response));
}

// `lines` header lines of 100 bytes each.
inline Handler many_header_lines(Response response, std::size_t lines) {
    response.huge_header_lines = lines;
    return detail::answer(std::move(response));
}

// The body, already gzip-compressed (a bomb from gzip_zeros, say), sent as it is with
// Content-Encoding: gzip.
inline Handler gzip_encoded(Response response) {
    response.headers.emplace_back("Content-Encoding", "gzip");
    return detail::answer(std::move(response));
}

// A redirect to `location`: another scheme (file://, ftp://), a private address, a loop.
inline Handler redirect(int status, std::string location) {
    return detail::answer(Response::redirect(status, std::move(location)));
}

// The test TLS material in tests/fetch/tls (see its README): a CA, and a server certificate it
// signed for 127.0.0.1, secure.test and a few more names.
inline std::string tls_dir() {
    return FEEDD_TEST_TLS_DIR;
}
inline std::string test_ca_file() {
    return tls_dir() + "/ca.pem";
}

// HTTPS on `address` with the test server certificate, which no CA the system trusts signed.
inline ServerOptions tls_options(const std::string& address = "127.0.0.1") {
    ServerOptions options;
    options.address = address;
    options.tls_certificate_file = tls_dir() + "/server.pem";
    options.tls_key_file = tls_dir() + "/server.key";
    return options;
}

}  // namespace feedd::test::faults
