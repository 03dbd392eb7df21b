// URLs, read with uriparser (RFC 3986): their parts, references resolved against a base, the
// canonical form that identifies a story across feeds, and a form safe to show. The one home for
// URL logic (docs/ARCHITECTURE.md); fetch keeps curl's own reading of the URLs curl fetches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace feedd::url {

// An absolute URL with an authority ("scheme://host..."), as written: only scheme and host are
// lower-cased. An IPv6 host keeps its brackets ("[::1]").
struct Parts {
    std::string scheme;
    std::string userinfo;  // "user:password", without the '@'
    std::string host;
    std::string port;      // digits as written, empty when none
    std::string path;      // from the first '/', without query and fragment
    std::string query;     // with its '?', empty when none
    std::string fragment;  // with its '#', empty when none
};
// nullopt when `url` is not such a URL (no "://", or not RFC 3986 syntax).
std::optional<Parts> parse(std::string_view url);

// True when `url` starts with a scheme ("https:", "mailto:").
bool has_scheme(std::string_view url) noexcept;
// The scheme `url` starts with, lower-cased and without its ':' ("https", "javascript"); empty when
// it starts with none (a relative reference).
std::string scheme(std::string_view url);

// `url` with the bytes RFC 3986 does not allow in a URL percent-encoded as a browser sends them
// (controls, space, '"', '<', '>', '\\', '^', '`', '{', '|', '}', DEL and every non-ASCII byte);
// '%' and the reserved characters stay as written.
std::string encode_unsafe(std::string_view url);

// encode_unsafe(`url`) with its percent-encoding in RFC 3986's normal form (section 6.2.2.2):
// escapes of unreserved characters (letters, digits, "-._~") decoded, other escapes' hex digits
// upper-case. Two spellings of one path compare equal in this form (robots.txt rules, RFC 9309).
std::string normalise_escapes(std::string_view url);

// `reference` made absolute against `base` (RFC 3986, section 5); unchanged when it cannot be.
// Leading and trailing white space and controls are dropped from both.
std::string resolve(std::string_view base, std::string_view reference);

// The form two links are compared in to find the same story in several feeds: http and https
// alike (written https), host lower-cased without "www." and trailing dots, default port,
// fragment and tracking parameters (utm_*, fbclid, ...) dropped, dot segments and percent-encoding
// normalised. Links that are not http(s) come back trimmed, as written.
std::string canonical_link(std::string_view url);

// The host of an absolute URL, lower-cased; empty when there is none.
std::string host(std::string_view url);

// `url` with any "user:password@" removed, for messages and logs; text that is not a URL with an
// authority comes back unchanged.
std::string redact_userinfo(std::string_view url);
// The same for every URL inside a message or a log line ("failed: https://me:pw@host/ ..."): the
// last line of defence where text that may quote a URL leaves feedd (the log, the CLI's errors).
std::string redact_userinfo_in(std::string_view text);

}  // namespace feedd::url
