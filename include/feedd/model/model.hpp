// The value types that flow between feedd's modules. Plain data, std only: every other module
// speaks in these, so that no library type (pugi::, CURL*, sqlite3*) crosses a module boundary.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feedd {

// Feed dates have second precision; UTC throughout.
using TimePoint = std::chrono::sys_seconds;
using Duration = std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// Configuration side: what the operator asked for.

// How entries of one feed are told apart (docs/ARCHITECTURE.md, "Identity and deduplication").
enum class IdentityRule { automatic, guid, link, content };

// How far a backfill reaches beyond a feed's document (docs/ARCHITECTURE.md, "History"): RFC
// 5005's prev-archive and next links (the default), WordPress's ?paged=2,3,... (only when the
// operator asks: a site that ignores the parameter serves its front page again), or nowhere.
enum class BackfillMode { links, paged, off };

// Whether the daemon fetches the page an entry links to and archives its main content (issue 19,
// docs/ARCHITECTURE.md, "Full text"): never, when the entry's own text is short, or always.
enum class FullText { off, automatic, always };
// `automatic` fetches the page of an entry whose own text has fewer words than this.
inline constexpr std::size_t full_text_short_words = 150;

// Where a secret comes from; the secret itself is never written into feeds.toml or the archive.
struct SecretSource {
    enum class Kind { none, file, env, credential };
    Kind kind = Kind::none;
    std::string reference;  // path, variable name or systemd credential name
    bool operator==(const SecretSource&) const = default;
};

struct HttpHeader {
    std::string name;
    std::string value;
    bool operator==(const HttpHeader&) const = default;
};

// The deepest folder path a category may have ("a/b/c" is 3). Real readers nest a few levels;
// the bound keeps every walk over folders (OPML import and export) shallow and linear.
inline constexpr std::size_t max_folder_depth = 64;

// One `[[feed]]` of feeds.toml. `name` is the feed's identity in the archive.
struct FeedSource {
    std::string name;
    std::string url;
    std::string title;     // operator's title; the feed's own title lives in the archive
    std::string category;  // one folder path, "News/Asia"
    std::vector<std::string> tags;
    bool enabled = true;
    std::optional<Duration> interval;  // a fixed interval, else the global setting
    // interval = "auto" written for this feed: chosen from its own publishing
    // (schedule::adaptive_interval) even where the global interval is fixed.
    bool auto_interval = false;
    IdentityRule identity = IdentityRule::automatic;
    std::string user_agent;  // else the global one
    std::vector<HttpHeader> headers;
    std::string ca_file;
    std::string username;
    SecretSource password;
    std::optional<int> keep_days;  // else the global one; 0 keeps forever
    BackfillMode backfill = BackfillMode::links;
    std::optional<FullText> full_text;  // else the global one
    bool operator==(const FeedSource&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Fetch side: one HTTP request and what came of it.

// The largest body feedd fetches and the largest text of one entry the archive stores: SQLite
// refuses a value or a row over 1e9 bytes (SQLITE_MAX_LENGTH), and an entry's row holds its HTML
// and its plain text, each up to the body's size (more when invalid UTF-8 becomes U+FFFD). 256 MiB
// keeps one entry's row well under that; `max_body` in feeds.toml may not exceed it.
inline constexpr std::int64_t max_storable_body = std::int64_t{256} << 20;

struct FetchRequest {
    std::string url;
    std::string etag;           // sent as If-None-Match when not empty
    std::string last_modified;  // sent as If-Modified-Since when not empty
    std::string user_agent;
    std::vector<HttpHeader> headers;  // already resolved; never logged
    std::string username;
    std::string password;  // already resolved; never logged
    // The URL the credentials (username, password, headers) were configured for: they go only to
    // its origin, whichever URL is fetched (a feed polled at the URL a redirect moved it to keeps
    // its configured origin). Empty: `url` itself.
    std::string credentials_origin;
    std::string ca_file;
    std::string proxy;
    Duration connect_timeout{std::chrono::seconds(20)};
    Duration timeout{std::chrono::seconds(60)};
    std::int64_t max_body = 16 * 1024 * 1024;  // decoded bytes
    int max_redirects = 5;
    bool allow_private_networks = false;
};

// Why a fetch produced no usable response. `http` means a response arrived with a status that is
// not 2xx/304; the others are transport-level.
enum class FetchErrorKind {
    none,
    http,
    dns,
    connect,
    timeout,
    tls,
    too_large,
    too_many_redirects,
    blocked_address,  // resolved to a private/loopback address with the guard on
    bad_scheme,       // not http(s), also across redirects
    bad_response,     // malformed HTTP, bad chunking, bad compression
    network,          // reset, refused mid-way, other socket failure
    cancelled,
    other,
};

struct RedirectHop {
    std::string from;
    std::string to;
    long status = 0;
};

struct FetchResult {
    long status = 0;  // last HTTP status, 0 when no response arrived
    std::string body;
    std::string content_type;
    std::string etag;
    std::string last_modified;
    std::string final_url;
    std::vector<RedirectHop> redirects;
    std::optional<TimePoint> retry_after;  // absolute, from seconds or an HTTP date
    std::optional<std::chrono::seconds> max_age;
    std::optional<TimePoint> expires;
    std::optional<TimePoint> server_date;
    Duration elapsed{0};
    std::int64_t bytes_received = 0;  // on the wire
    FetchErrorKind error = FetchErrorKind::none;
    std::string error_message;  // one line, for people

    bool ok() const { return error == FetchErrorKind::none && status >= 200 && status < 300; }
    bool not_modified() const { return error == FetchErrorKind::none && status == 304; }
};

// ---------------------------------------------------------------------------------------------
// Parse side: what a feed says.

enum class FeedFormat { unknown, rss09x, rss10, rss20, atom03, atom10, json1x, cdf };

struct Enclosure {
    std::string url;
    std::string type;
    std::optional<std::int64_t> length;
    bool operator==(const Enclosure&) const = default;
};

// One feed's version of a story. Empty strings mean "absent".
struct Entry {
    std::string id;  // guid / atom:id / JSON id, as the feed wrote it
    std::string title;
    std::string link;  // absolute
    std::optional<TimePoint> published;
    std::optional<TimePoint> updated;
    std::string author;
    std::string summary;  // HTML
    std::string content;  // HTML
    std::vector<std::string> categories;
    std::string image;  // absolute
    std::vector<Enclosure> enclosures;
    bool operator==(const Entry&) const = default;
};

// A link an HTML page advertises (`<link rel="alternate" type="application/rss+xml" ...>`).
struct FeedLink {
    std::string url;
    std::string type;
    std::string title;
    bool operator==(const FeedLink&) const = default;
};

// How to find the article on the pages of one site, where the extraction heuristic fails
// (`[[site]]` in feeds.toml): XPath 1.0 over the page as HTML5 parses it (element names lower case).
struct SiteRule {
    std::string host;                 // the page's host, or a domain it is under ("example.com")
    std::string content;              // the main content: every node it selects, in order
    std::vector<std::string> remove;  // dropped before anything else (share bars, asides, ...)
    bool operator==(const SiteRule&) const = default;
};

struct ParsedFeed {
    // false: the bytes are no feed at all (`error` says why; `advertised` lists the feeds an
    // HTML page points to).
    bool is_feed = true;
    bool wellformed = true;
    // Empty = null. One whole line that begins with its kind ("not a feed: ", "not well-formed: "):
    // callers show it as it is and add only context (a file, a feed), never the kind again.
    std::string error;
    FeedFormat format = FeedFormat::unknown;
    std::string title;
    std::string link;
    std::string subtitle;
    std::string language;
    std::optional<TimePoint> updated;
    std::string image;
    std::optional<int> ttl_minutes;
    std::optional<int> update_period_minutes;  // sy:updatePeriod / sy:updateFrequency
    std::vector<int> skip_hours;
    std::vector<std::string> skip_days;
    std::vector<Entry> entries;
    std::vector<FeedLink> advertised;
    // Earlier documents of the same feed (RFC 5005), resolved: where a backfill goes next.
    std::string prev_archive;  // rel="prev-archive": the archive document before this one
    std::string next_page;     // rel="next" (Atom, atom:link in RSS), next_url (JSON Feed): a paged feed
    bool complete = false;     // fh:complete: this document holds every entry, nothing came before
    bool archive = false;      // fh:archive: this document is an archive that will not change
};

// ---------------------------------------------------------------------------------------------
// State: what the archive remembers of each feed between polls.

struct FeedState {
    std::string name;
    std::string etag;
    std::string last_modified;
    std::optional<TimePoint> last_poll;
    std::optional<TimePoint> last_success;
    std::optional<TimePoint> next_poll;
    long last_status = 0;
    std::string last_error;
    int consecutive_failures = 0;
    // Learned at run time; wins over feeds.toml until the entry there changes
    // (`configured_url` records which feeds.toml URL this knowledge belongs to).
    std::string configured_url;
    bool gone = false;               // 410: not polled until reset
    std::string moved_to;            // permanent redirect confirmed: the URL polled now
    std::string redirect_candidate;  // permanent redirect seen, not yet confirmed
    std::optional<TimePoint> redirect_first_seen;
    int redirect_count = 0;
    bool identity_fallback = false;  // auto identity fell back from guid to link
    std::optional<TimePoint> retry_after;
    // Items in the feed's document at its last successful poll: the window a feed must not outrun
    // between two polls (schedule::Publishing::window). 0 until then.
    int document_items = 0;

    bool operator==(const FeedState&) const = default;
};

// The one value that flows back from a poll to the scheduler.
struct RefreshOutcome {
    enum class Kind { updated, not_modified, failed, gone };
    Kind kind = Kind::failed;
    long status = 0;
    FetchErrorKind error = FetchErrorKind::none;
    std::optional<TimePoint> retry_after;         // 429/503
    std::optional<std::chrono::seconds> max_age;  // Cache-Control
    std::optional<TimePoint> expires;
    std::optional<int> ttl_minutes;  // feed's own hints
    std::optional<int> update_period_minutes;
};

// Names the contract uses for enums (JSON, logs, the archive).
const char* to_string(FeedFormat format) noexcept;
const char* to_string(IdentityRule rule) noexcept;
const char* to_string(FetchErrorKind kind) noexcept;
std::optional<IdentityRule> identity_rule_from_string(std::string_view text) noexcept;
const char* to_string(BackfillMode mode) noexcept;  // "links", "paged", "off"
std::optional<BackfillMode> backfill_mode_from_string(std::string_view text) noexcept;
const char* to_string(FullText mode) noexcept;  // "off", "auto", "always"
std::optional<FullText> full_text_from_string(std::string_view text) noexcept;

// "2024-08-23T06:05:10Z"
std::string format_utc(TimePoint t);

// A time as `feedd query --since` and the feeds of saved queries (`?since=`) take it, UTC: a date
// "2024-08-23", a date and time "2024-08-23T06:05[:10][Z]" (or with a space), or a span back from
// `now` ("30m", "12h", "7d", "2w", "90s"). nullopt when it is none of these.
std::optional<TimePoint> parse_when(std::string_view text, TimePoint now);
// What parse_when accepts, for error messages.
inline constexpr const char* when_forms =
    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] or a span back from now like 7d, 12h, 2w";

}  // namespace feedd
