// `feedd query`, `feedd show ID`, `feedd db backup|check|vacuum|prune|copy`: the archive's commands.
// Feed text is foreign input: it is made safe for where it lands (terminal, CSV, JSON).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"

namespace feedd::cli {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Making feed text safe

using text::printable;

// One CSV cell (RFC 4180). A cell that a spreadsheet would run as a formula gets a leading quote.
std::string csv_cell(std::string_view raw) {
    auto text = printable(raw);
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                          text[0] == '\t' || text[0] == '\r'))
        text.insert(0, "'");
    bool quote = text.find_first_of(",\"\n\r") != std::string::npos || text.starts_with("'");
    if (!quote) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

// JSON output is valid UTF-8 whatever the feed held.
std::string dump(const json& value, int indent = -1) {
    return json_output(value, indent);
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

json optional_time(const std::optional<TimePoint>& time) {
    return time ? json(format_utc(*time)) : json(nullptr);
}

std::string short_time(TimePoint time) {
    auto text = format_utc(time);  // 2024-08-23T05:52:31Z
    return text.substr(0, 10) + " " + text.substr(11, 5);
}

// ---------------------------------------------------------------------------------------------
// Dates on the command line

TimePoint now_seconds() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

// `--since` and `--until`: the forms of model's parse_when, or a usage error.
TimePoint parse_when(const std::string& text, const char* option) {
    if (auto when = feedd::parse_when(text, now_seconds())) return *when;
    throw UsageError(std::string("bad date '") + text + "' for " + option + ": use " + when_forms);
}

// ---------------------------------------------------------------------------------------------
// Output

json row_json(const store::ArticleRow& row, bool with_snippet) {
    json out = {{"id", row.id},
                {"title", row.title},
                {"link", row.link},
                {"author", row.author},
                {"date", format_utc(row.date)},
                {"published", optional_time(row.published)},
                {"first_seen", format_utc(row.first_seen)},
                {"feeds", row.feeds},
                {"summary", row.summary}};
    if (with_snippet) out["snippet"] = row.snippet;
    return out;
}

void print_rows(const std::vector<store::ArticleRow>& rows, const std::string& format, bool search) {
    auto& out = std::cout;
    if (format == "json") {
        json all = json::array();
        for (const auto& row : rows) all.push_back(row_json(row, search));
        out << dump(all, 2) << '\n';
    } else if (format == "ndjson") {
        for (const auto& row : rows) out << dump(row_json(row, search)) << '\n';
    } else if (format == "csv") {
        out << "id,date,published,first_seen,feeds,title,link,author," << (search ? "snippet" : "summary")
            << "\r\n";
        for (const auto& row : rows) {
            out << row.id << ',' << format_utc(row.date) << ','
                << (row.published ? format_utc(*row.published) : std::string()) << ','
                << format_utc(row.first_seen) << ',' << csv_cell(join(row.feeds, " ")) << ','
                << csv_cell(row.title) << ',' << csv_cell(row.link) << ',' << csv_cell(row.author) << ','
                << csv_cell(search ? row.snippet : row.summary) << "\r\n";
        }
    } else {
        for (const auto& row : rows) {
            out << row.id << "  " << short_time(row.date) << "  " << printable(join(row.feeds, ",")) << "  "
                << printable(row.title.empty() ? "(untitled)" : row.title) << '\n';
            if (search && !row.snippet.empty()) out << "    " << printable(row.snippet) << '\n';
        }
    }
}

json entry_json(const store::EntryDetail& entry, bool with_revisions) {
    json enclosures = json::array();
    for (const auto& enclosure : entry.entry.enclosures)
        enclosures.push_back({{"url", enclosure.url},
                              {"type", enclosure.type},
                              {"length", enclosure.length ? json(*enclosure.length) : json(nullptr)}});
    json out = {{"id", entry.id},
                {"feed", entry.feed},
                {"guid", entry.guid},
                {"identity", entry.identity},
                {"title", entry.entry.title},
                {"link", entry.entry.link},
                {"author", entry.entry.author},
                {"published", optional_time(entry.entry.published)},
                {"updated", optional_time(entry.entry.updated)},
                {"first_seen", format_utc(entry.first_seen)},
                {"changed_at", optional_time(entry.changed_at)},
                {"categories", entry.entry.categories},
                {"image", entry.entry.image.empty() ? json(nullptr) : json(entry.entry.image)},
                {"enclosures", enclosures},
                {"summary", entry.entry.summary},
                {"content", entry.entry.content},
                {"text", entry.text},
                {"revision_count", entry.revisions.size()}};
    if (with_revisions) {
        json revisions = json::array();
        for (const auto& revision : entry.revisions)
            revisions.push_back({{"recorded_at", format_utc(revision.recorded_at)},
                                 {"title", revision.title},
                                 {"summary", revision.summary},
                                 {"content", revision.content},
                                 {"text", revision.text}});
        out["revisions"] = revisions;
    }
    return out;
}

// The state of an article's page (full text) in one line: when it was fetched, or why not yet.
std::string page_state(const store::PageDetail& page) {
    std::string state;
    if (page.fetched_at)
        state = "fetched " + format_utc(*page.fetched_at);
    else if (page.tried_at)
        state = "not fetched";
    else
        state = "not fetched yet";
    if (page.status != 0) state += ", HTTP " + std::to_string(page.status);
    if (!page.final_url.empty() && page.final_url != page.url) state += ", from " + page.final_url;
    if (!page.error.empty())
        state += "; last try " + (page.tried_at ? format_utc(*page.tried_at) : std::string("-")) +
                 " failed (" + std::to_string(page.failures) + " in a row): " + page.error;
    state += page.next_try ? "; next fetch " + format_utc(*page.next_try) : "; not fetched again";
    return state;
}

json page_json(const store::PageDetail& page, bool with_revisions) {
    auto time = [](const std::optional<TimePoint>& t) { return t ? json(format_utc(*t)) : json(nullptr); };
    json out{{"url", page.url},
             {"final_url", page.final_url},
             {"status", page.status},
             {"fetched_at", time(page.fetched_at)},
             {"tried_at", time(page.tried_at)},
             {"next_try", time(page.next_try)},
             {"failures", page.failures},
             {"error", page.error.empty() ? json(nullptr) : json(page.error)},
             {"title", page.title},
             {"method", page.method},
             {"html", page.html},
             {"text", page.text},
             {"revision_count", page.revisions.size()}};
    if (with_revisions) {
        json revisions = json::array();
        for (const auto& revision : page.revisions)
            revisions.push_back({{"recorded_at", format_utc(revision.recorded_at)},
                                 {"html", revision.html},
                                 {"text", revision.text}});
        out["revisions"] = revisions;
    }
    return out;
}

void print_article(const store::ArticleDetail& article, const std::string& format, bool with_revisions) {
    auto& out = std::cout;
    const auto& shown = article.fullest();
    if (format == "json") {
        json entries = json::array();
        for (const auto& entry : article.entries) entries.push_back(entry_json(entry, with_revisions));
        json document = {
            {"id", article.id},
            {"title", shown.entry.title},
            {"link", shown.entry.link},
            {"canonical_link", article.canonical_link.empty() ? json(nullptr) : json(article.canonical_link)},
            {"date", format_utc(article.date)},
            {"first_seen", format_utc(article.first_seen)},
            {"feeds", article.feeds},
            {"fullest_entry", article.fullest_entry},
            {"entries", entries},
            {"page", article.page ? page_json(*article.page, with_revisions) : json(nullptr)}};
        out << dump(document, 2) << '\n';
        return;
    }
    out << printable(shown.entry.title.empty() ? "(untitled)" : shown.entry.title) << '\n';
    out << "Link:    " << printable(shown.entry.link) << '\n';
    out << "Date:    " << format_utc(article.date) << "  (first seen " << format_utc(article.first_seen)
        << ")\n";
    out << "Feeds:   " << printable(join(article.feeds, ", ")) << '\n';
    if (!shown.entry.author.empty()) out << "Author:  " << printable(shown.entry.author) << '\n';
    if (!shown.entry.categories.empty())
        out << "Topics:  " << printable(join(shown.entry.categories, ", ")) << '\n';
    if (!shown.entry.image.empty()) out << "Image:   " << printable(shown.entry.image) << '\n';
    for (const auto& enclosure : shown.entry.enclosures)
        out << "Media:   " << printable(enclosure.url) << " (" << printable(enclosure.type) << ")\n";
    out << '\n' << printable(shown.text, true) << "\n";
    if (article.page) {
        const auto& page = *article.page;
        out << "\n-- page " << printable(page.url) << ": " << printable(page_state(page)) << ", "
            << page.revisions.size() << " revision(s)\n";
        if (!page.text.empty()) out << '\n' << printable(page.text, true) << "\n";
        if (with_revisions)
            for (const auto& revision : page.revisions)
                out << "   [before " << format_utc(revision.recorded_at) << "] " << printable(revision.text)
                    << '\n';
    }
    for (const auto& entry : article.entries) {
        out << "\n-- " << printable(entry.feed) << ": entry " << entry.id << ", first seen "
            << format_utc(entry.first_seen);
        if (entry.changed_at) out << ", changed " << format_utc(*entry.changed_at);
        out << ", " << entry.revisions.size() << " revision(s)\n";
        if (entry.id != shown.id) {
            out << "   " << printable(entry.entry.title) << '\n';
            out << "   " << printable(entry.text) << '\n';
        }
        if (!with_revisions) continue;
        for (const auto& revision : entry.revisions) {
            out << "   [before " << format_utc(revision.recorded_at) << "] " << printable(revision.title)
                << '\n';
            out << "   " << printable(revision.text) << '\n';
        }
    }
}

store::Archive open_archive(const Context& context, store::OpenMode mode) {
    return store::Archive::open(database_location(context), mode);
}

std::string first_poll_hint() {
    return "the first poll comes when the daemon starts (`feedd run`, or `systemctl --user enable --now "
           "feedd`), or now with `feedd poll --once`";
}

// When the archive will next hear from a feed, for someone waiting for the first articles.
std::string next_poll_hint(store::Archive& archive, bool running) {
    std::optional<TimePoint> next;
    for (const auto& state : archive.feed_states()) {
        if (state.gone || !state.next_poll) continue;
        if (!next || *state.next_poll < *next) next = state.next_poll;
    }
    if (!running) return "the daemon is not running: " + first_poll_hint();
    if (!next) return "the daemon is running; its first polls are under way";
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto wait = std::chrono::duration_cast<std::chrono::minutes>(*next - now).count();
    return "the next poll is due at " + format_utc(*next) +
           (*next <= now ? " (now)" : " (in " + std::to_string(std::max<long long>(1, wait)) + " min)");
}

// `feedd query`: articles by search, feed, category and date.
void add_query_command(CLI::App& app, Context& context) {
    struct QueryOptions {
        std::string search, category, since, until, format = "table";
        std::vector<std::string> feeds;
        std::optional<std::int64_t> after_id;
        int limit = 50;
    };
    auto query_options = std::make_shared<QueryOptions>();
    auto* query = app.add_subcommand("query", "List archived articles, newest first (ranked when searching)");
    query->add_option("-s,--search", query_options->search,
                      "full-text search (FTS5 syntax: words, \"a phrase\", OR, NOT, prefix*)");
    query->add_option("-f,--feed", query_options->feeds, "only articles of this feed (repeatable)");
    query->add_option("-c,--category", query_options->category,
                      "feed folder (\"News\" includes \"News/Asia\"), tag or entry category");
    query->add_option("--since", query_options->since,
                      "from this date on: YYYY-MM-DD, ISO 8601, or a span like 7d");
    query->add_option("--until", query_options->until, "before this date (same forms)");
    query->add_option("--after-id", query_options->after_id,
                      "only articles with a higher id, oldest first (a cursor)");
    query->add_option("-n,--limit", query_options->limit, "at most this many (0: all)")
        ->capture_default_str();
    query->add_option("--format", query_options->format, "table, json, ndjson or csv")
        ->check(CLI::IsMember({"table", "json", "ndjson", "csv"}))
        ->capture_default_str();
    on_chosen(query, context, [&context, query_options] {
        const auto& o = *query_options;
        store::ArticleQuery q;
        q.search = o.search;
        q.feeds = o.feeds;
        q.category = o.category;
        if (!o.since.empty()) q.since = parse_when(o.since, "--since");
        if (!o.until.empty()) q.until = parse_when(o.until, "--until");
        q.after_id = o.after_id;
        if (o.limit < 0) throw UsageError("--limit must be 0 (all) or more");
        q.limit = o.limit;
        const auto location = database_location(context);
        const auto& database = location.path;
        if (!context.db && !store::Archive::exists(location)) {
            // A first step, not an error: the daemon has not written the config's archive yet.
            // (An archive named with --db that is not there is a mistake, said as one.)
            std::cerr << "feedd: nothing archived yet: " << store::shown_location(database.native())
                      << (is_database_url(database.native()) ? " holds no archive; " : " does not exist; ")
                      << first_poll_hint() << '\n';
            print_rows({}, o.format, !o.search.empty());
            return 0;
        }
        auto archive = store::Archive::open(location, store::OpenMode::read_only);
        // An empty archive is told apart only when the query finds nothing or fails: counting the
        // articles first cost every query a scan (85-137 ms on PostgreSQL, 10-30 ms on SQLite at
        // 2 million articles). `reported_empty` says so, with the empty answer, when it is empty.
        const auto reported_empty = [&] {
            if (archive.article_count() != 0) return false;
            std::cerr << "feedd: nothing archived yet in " << store::shown_location(database.native()) << "; "
                      << next_poll_hint(archive, store::Archive::is_locked(location)) << '\n';
            print_rows({}, o.format, !o.search.empty());
            return true;
        };
        std::vector<store::ArticleRow> rows;
        try {
            rows = archive.query(q);
        } catch (const store::QueryError& e) {
            if (reported_empty()) return 0;
            throw UsageError(e.what());
        }
        if (rows.empty() && reported_empty()) return 0;
        print_rows(rows, o.format, !o.search.empty());
        return 0;
    });
}

// `feedd show ID`: one article in full.
void add_show_command(CLI::App& app, Context& context) {
    struct ShowOptions {
        std::int64_t id = 0;
        bool revisions = false;
        std::string format = "text";
    };
    auto show_options = std::make_shared<ShowOptions>();
    auto* show = app.add_subcommand("show", "Show one article in full, with its feeds");
    show->add_option("ID", show_options->id, "article id (from feedd query)")->required();
    show->add_flag("-r,--revisions", show_options->revisions, "include each entry's previous versions");
    show->add_option("--format", show_options->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    on_chosen(show, context, [&context, show_options] {
        auto archive = open_archive(context, store::OpenMode::read_only);
        auto article = archive.article(show_options->id);
        if (!article) {
            std::cerr << "feedd: no article " << show_options->id << " in the archive\n";
            return 1;
        }
        print_article(*article, show_options->format, show_options->revisions);
        return 0;
    });
}

// `feedd fetch-page ID`: the article's page now, as the daemon fetches it (full text); written to
// the archive, so it needs the single-writer lock.
void add_fetch_page_command(CLI::App& app, Context& context) {
    auto id = std::make_shared<std::int64_t>(0);
    auto* sub = app.add_subcommand("fetch-page",
                                   "Fetch an article's page now, archive its main content and print it");
    sub->add_option("ID", *id, "article id (from feedd query)")->required();
    on_chosen(sub, context, [&context, id] {
        daemon::RunOptions run;
        run.config_path = config_path(context);
        run.database = context.db;
        run.log_level = context.log_level;
        daemon::FetchedPage page;
        try {
            page = daemon::fetch_article_page(run, *id);
        } catch (const store::ArchiveBusy& busy) {
            throw std::runtime_error(std::string(busy.what()) +
                                     ": the daemon is running; stop it (systemctl stop feedd), run this "
                                     "again, then start it");
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        if (!page.failed) {
            if (!page.title.empty()) std::cout << printable(page.title) << "\n\n";
            std::cout << printable(page.text, true) << '\n';
        }
        std::cerr << "feedd: " << message(page.line) << '\n';
        return page.failed ? 1 : 0;
    });
}

// `feedd db backup FILE`.
void add_db_backup_command(CLI::App* db, Context& context) {
    auto backup_file = std::make_shared<std::string>();
    auto* backup =
        db->add_subcommand("backup", "Write a consistent copy of the archive (works while the daemon runs)");
    backup->add_option("FILE", *backup_file, "where to write the copy")->required();
    on_chosen(backup, context, [&context, backup_file] {
        auto archive = open_archive(context, store::OpenMode::read_only);
        archive.backup(*backup_file);
        std::cout << "backed up to " << *backup_file << " (" << std::filesystem::file_size(*backup_file)
                  << " bytes)\n";
        return 0;
    });
}

// `feedd db check`.
void add_db_check_command(CLI::App* db, Context& context) {
    auto* check = db->add_subcommand("check", "Check the archive's integrity and its search index");
    on_chosen(check, context, [&context] {
        auto archive = open_archive(context, store::OpenMode::read_only);
        auto problems = archive.check();
        for (const auto& problem : problems) std::cout << printable(problem) << '\n';
        if (!problems.empty()) {
            std::cerr << "feedd: " << problems.size() << " problem(s) in the archive\n";
            return 1;
        }
        std::cout << "ok: integrity, foreign keys and search index are sound\n";
        return 0;
    });
}

// `feedd db vacuum`.
void add_db_vacuum_command(CLI::App* db, Context& context) {
    auto* vacuum =
        db->add_subcommand("vacuum", "Compact the archive and its search index (stop the daemon first)");
    on_chosen(vacuum, context, [&context] {
        const auto location = database_location(context);
        const auto& path = location.path;
        if (is_database_url(path.native())) {
            store::Archive::open(location, store::OpenMode::read_write).vacuum();
            std::cout << "vacuumed " << store::shown_location(path.native()) << " (VACUUM ANALYZE)\n";
            return 0;
        }
        if (!std::filesystem::exists(path)) throw store::StoreError("no archive at " + path.string());
        auto before = std::filesystem::file_size(path);
        auto archive = store::Archive::open(location, store::OpenMode::read_write);
        archive.vacuum();
        std::cout << "vacuumed " << path.string() << ": " << before << " -> "
                  << std::filesystem::file_size(path) << " bytes\n";
        return 0;
    });
}

// `feedd db prune`.
void add_db_prune_command(CLI::App* db, Context& context) {
    auto keep_days = std::make_shared<std::optional<int>>();
    auto* prune = db->add_subcommand(
        "prune", "Remove articles older than keep_days (per feed, else global); they never return as new");
    prune->add_option("--keep-days", *keep_days,
                      "instead of the configuration's keep_days (0 keeps forever)");
    on_chosen(prune, context, [&context, keep_days] {
        int days = keep_days->has_value() ? **keep_days : load_config(context).settings.keep_days;
        if (days < 0) throw UsageError("--keep-days must be 0 (forever) or more");
        const auto location = database_location(context);
        if (!store::Archive::exists(location))
            throw store::StoreError("no archive at " + store::shown_location(location.path.native()));
        auto archive = store::Archive::open(location, store::OpenMode::read_write);
        auto counts = archive.prune(days, now_seconds());
        std::cout << "pruned " << counts.articles << " article(s), " << counts.entries << " entr"
                  << (counts.entries == 1 ? "y" : "ies") << "\n";
        return 0;
    });
}

// `feedd db copy --to LOCATION` / `--from LOCATION`: the archive to or from another store.
void add_db_copy_command(CLI::App* db, Context& context) {
    struct CopyOptions {
        std::string to, from;
    };
    auto options = std::make_shared<CopyOptions>();
    auto* copy = db->add_subcommand(
        "copy",
        "Copy the whole archive into a new, empty one (SQLite file or postgresql:// database), ids kept");
    auto* to = copy->add_option(
        "--to", options->to,
        "copy the configured archive (or --db) into this new one: an SQLite file or a postgresql:// URI "
        "(its password: libpq's PGPASSFILE or PGPASSWORD, or peer authentication; the configuration's "
        "database_password_… is only its `database`'s)");
    auto* from =
        copy->add_option("--from", options->from, "copy this archive into the (empty) configured one");
    to->excludes(from);
    on_chosen(copy, context, [&context, options] {
        if (options->to.empty() == options->from.empty())
            throw UsageError("db copy needs --to LOCATION or --from LOCATION");
        Context other_context = context;
        other_context.db = options->to.empty() ? options->from : options->to;
        const auto configured = database_location(context);
        const auto other = database_location(other_context);
        const auto& source = options->to.empty() ? other : configured;
        const auto& target = options->to.empty() ? configured : other;
        const auto source_name = store::shown_location(source.path.native());
        const auto target_name = store::shown_location(target.path.native());
        std::cerr << "copying " << source_name << " to " << target_name << '\n';
        auto report = store::Archive::copy(
            source, target, [](const std::string& table, std::int64_t done, std::int64_t total) {
                if (done == 0 && total > 0) return;  // its first line comes with its first rows
                std::cerr << "  " << table << ": " << done << " of " << total << " rows\n";
            });
        std::int64_t rows = 0;
        std::string differing;
        std::cout << "table            source rows  target rows  checksum\n";
        for (const auto& table : report.tables) {
            char line[128];
            std::snprintf(line, sizeof line, "%-16s %11lld  %11lld  %s\n", table.name.c_str(),
                          static_cast<long long>(table.source_rows),
                          static_cast<long long>(table.target_rows), table.same() ? "same" : "DIFFERS");
            std::cout << line;
            rows += table.source_rows;
            if (!table.same()) differing += (differing.empty() ? "" : ", ") + table.name;
        }
        if (!report.committed) {
            std::cerr << "feedd: " << target_name << " does not read back as " << source_name << " ("
                      << differing << "): the copy was rolled back, nothing was written\n";
            return 1;
        }
        std::cout << "copied " << rows << " rows in " << report.tables.size() << " tables from "
                  << source_name << " to " << target_name << "; counts and checksums match\n";
        return 0;
    });
}

}  // namespace

void add_store_commands(CLI::App& app, Context& context) {
    add_query_command(app, context);
    add_show_command(app, context);
    add_fetch_page_command(app, context);
    auto* db = app.add_subcommand("db", "Archive maintenance: backup, check, vacuum, prune, copy");
    db->require_subcommand(1);
    add_db_backup_command(db, context);
    add_db_check_command(db, context);
    add_db_vacuum_command(db, context);
    add_db_prune_command(db, context);
    add_db_copy_command(db, context);
}

}  // namespace feedd::cli
