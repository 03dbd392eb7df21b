// `feedd parse FILE...|-`: the parser on the command line, printing the JSON of docs/ARCHITECTURE.md.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/text/text.hpp"

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

}  // namespace

void add_parse_commands(CLI::App& app, Context& context) {
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
