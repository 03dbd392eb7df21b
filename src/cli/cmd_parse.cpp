// `feedd parse FILE...|-`: the parser on the command line, printing the JSON of docs/ARCHITECTURE.md.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "feedd/config/config.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::cli {
namespace {

struct ParseArguments {
    std::vector<std::string> files;
    std::string base_url;
    std::string content_type;
};

// The line of a file that is no feed: {"file": ..., "error": ...}, with the feeds an HTML page
// advertises.
std::string failure_line(const std::string& file, const std::string& error,
                         const std::vector<FeedLink>& advertised) {
    nlohmann::ordered_json line;
    line["file"] = file;
    line["error"] = error;
    if (!advertised.empty()) {
        auto links = nlohmann::ordered_json::array();
        for (const auto& link : advertised)
            links.push_back({{"url", link.url}, {"type", link.type}, {"title", link.title}});
        line["advertised"] = std::move(links);
    }
    return json_output(line);
}

int run_parse(const ParseArguments& arguments) {
    int status = 0;
    const parse::ParseOptions options{arguments.base_url, arguments.content_type};
    for (const auto& file : arguments.files) {
        std::string bytes;
        try {
            bytes = read_input(file);
        } catch (const std::runtime_error&) {
            std::cerr << "feedd: " << message(file) << ": cannot read\n";
            std::cout << failure_line(file, "cannot read " + file, {}) << '\n';
            status = 1;
            continue;
        }
        const ParsedFeed feed = parse::parse_feed(std::move(bytes), options);
        if (!feed.is_feed) {
            std::cerr << "feedd: " << message(file) << ": " << message(feed.error) << '\n';
            std::cout << failure_line(file, feed.error, feed.advertised) << '\n';
            status = 1;
            continue;
        }
        // The feed's text reaches a terminal: the output policy's JSON style, as every command's.
        std::cout << text::escape_for_json(parse::to_json(feed)) << '\n';
    }
    std::cout.flush();
    return status;
}

struct ExtractArguments {
    std::string source;  // a file, - or an http(s) URL
    std::string url;     // where a file's page came from
    std::string format = "text";
    std::string content;
    std::vector<std::string> remove;
};

// `feedd extract FILE|URL`: the article extractor alone, for people writing [[site]] rules. The
// rules of feeds.toml apply when there is one; --content/--remove try a rule before writing it.
int run_extract(const ExtractArguments& arguments, Context& context) {
    if (arguments.format != "text" && arguments.format != "html" && arguments.format != "json")
        throw UsageError("--format must be text, html or json");
    config::Settings settings;
    std::vector<SiteRule> rules;
    // A config is optional here (a saved page needs none); one that is there must be sound.
    std::optional<std::filesystem::path> found;
    try {
        found = config_path(context);
    } catch (const std::runtime_error&) {
        if (context.config) throw;
    }
    if (found) {
        auto config = config::load_config(*found);
        settings = config.settings;
        rules = config.sites;
    }
    const std::string scheme = url::scheme(arguments.source);
    const bool remote = scheme == "http" || scheme == "https";
    parse::PageOptions options;
    std::string bytes;
    if (remote) {
        auto fetched = daemon::fetch_page(arguments.source, settings);
        if (!fetched.error_message.empty())
            throw std::runtime_error(arguments.source + ": " + fetched.error_message);
        if (fetched.status < 200 || fetched.status > 299)
            throw std::runtime_error(arguments.source + ": HTTP " + std::to_string(fetched.status));
        options.url = fetched.final_url.empty() ? arguments.source : fetched.final_url;
        options.content_type = fetched.content_type;
        bytes = std::move(fetched.body);
    } else {
        try {
            bytes = read_input(arguments.source);
        } catch (const std::runtime_error&) {
            throw std::runtime_error("cannot read " + arguments.source);
        }
        options.url = arguments.url;
    }
    if (!arguments.url.empty()) options.url = arguments.url;
    if (!arguments.content.empty() || !arguments.remove.empty()) {
        if (options.url.empty())
            throw UsageError("--content and --remove need the page's --url (a rule is per host)");
        for (const auto& expression : arguments.remove)
            if (auto why = parse::xpath_error(expression); !why.empty())
                throw UsageError("--remove is no XPath expression: " + why);
        if (auto why = parse::xpath_error(arguments.content); !arguments.content.empty() && !why.empty())
            throw UsageError("--content is no XPath expression: " + why);
        rules.insert(rules.begin(), SiteRule{url::host(options.url), arguments.content, arguments.remove});
    }
    options.rules = std::move(rules);
    const auto page = parse::extract_article(bytes, options);
    if (!page.warning.empty()) std::cerr << "feedd: " << message(page.warning) << '\n';
    if (arguments.format == "json") {
        nlohmann::ordered_json out{{"url", options.url},    {"title", page.title},
                                   {"method", page.method}, {"encoding", page.encoding},
                                   {"words", page.words},   {"text", page.text},
                                   {"html", page.html}};
        std::cout << json_output(out) << '\n';
    } else if (arguments.format == "html") {
        std::cout << page.html << '\n';
    } else {
        if (!page.title.empty()) std::cout << text::printable(page.title) << "\n\n";
        std::cout << text::printable(page.text, true) << '\n';
    }
    std::cerr << "feedd: " << page.words << " words by " << page.method << '\n';
    return page.words == 0 ? 1 : 0;
}

}  // namespace

void add_parse_commands(CLI::App& app, Context& context) {
    auto extract = std::make_shared<ExtractArguments>();
    auto* extract_command = app.add_subcommand("extract",
                                               "Print the article of a page (a file, - for standard input, "
                                               "or an http(s) URL) without the site around it");
    extract_command->add_option("page", extract->source, "a saved page, - or a URL")->required();
    extract_command->add_option("--url", extract->url,
                                "where a saved page came from (resolves its links, picks its [[site]] rule)");
    extract_command->add_option("--format", extract->format, "text (default), html or json");
    extract_command->add_option("--content", extract->content, "try a site rule: XPath of the article");
    extract_command->add_option("--remove", extract->remove,
                                "try a site rule: XPath of parts to drop (repeatable)");
    on_chosen(extract_command, context, [extract, &context] { return run_extract(*extract, context); });

    auto arguments = std::make_shared<ParseArguments>();
    auto* sub = app.add_subcommand(
        "parse", "Parse feed files (- for standard input) and print them as JSON, one line each");
    sub->add_option("files", arguments->files, "feed files; - reads standard input")->required();
    sub->add_option("--base-url", arguments->base_url, "URL that relative links resolve against");
    sub->add_option("--content-type", arguments->content_type,
                    "Content-Type as a server would send it, e.g. \"text/xml; charset=iso-8859-1\"");
    on_chosen(sub, context, [arguments] { return run_parse(*arguments); });
}

}  // namespace feedd::cli
