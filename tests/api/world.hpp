// An API server as the daemon runs it: on an io_context of its own thread, with a real archive,
// the daemon's writer thread and the real health check, configured from feeds.toml text.
#pragma once

#include <sys/stat.h>

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/client.hpp"
#include "daemon/writer.hpp"
#include "feedd/api/api.hpp"
#include "feedd/config/config.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/store/store.hpp"
#include "support/temp_dir.hpp"

namespace feedd::test {

// Two users: alice (password "alice-secret", token "alice-token") and bob (token "bob-token").
inline const std::string two_users = R"(
[[user]]
name = "alice"
password_file = "alice.pass"
token_file = "alice.token"

[[user]]
name = "bob"
token_file = ["bob.token"]
)";

// [http] on a free port, the feeds alpha ("Alpha News", category "News") and beta, and two_users.
inline const std::string two_feeds_config = R"(
[http]
listen = "127.0.0.1:0"

[[feed]]
name = "alpha"
url = "https://alpha.example/feed.xml"
title = "Alpha News"
category = "News"

[[feed]]
name = "beta"
url = "https://beta.example/feed.xml"
)" + two_users;

class ApiWorld {
  public:
    using Seed = std::function<void(store::Archive&, const config::Config&)>;
    // `toml`: the whole feeds.toml but for [settings] database; [http] must be in it. `seed`
    // writes into the archive before the server starts.
    explicit ApiWorld(const std::string& toml, const Seed& seed = {}) {
        for (const auto& [file, secret] :
             {std::pair{"alice.pass", "alice-secret\n"}, std::pair{"alice.token", "alice-token"},
              std::pair{"bob.token", "bob-token"}}) {
            write_file(dir / file, secret);
            ::chmod((dir / file).c_str(), 0600);
        }
        write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\n" + toml);
        config = config::load_config(dir / "feeds.toml");
        auto archive = store::Archive::open(config.settings.database, store::OpenMode::read_write);
        archive.sync_feeds(config.feeds);
        if (seed) seed(archive, config);
        writer = std::make_unique<daemon::Writer>(std::move(archive));
        api::ServerOptions options;
        options.database = {config.settings.database, {}};
        options.post_write = [this](std::function<void(store::Archive&)> job) {
            writer->post(std::move(job));
        };
        const store::Location database{config.settings.database, {}};
        auto health = [database](store::Archive& reader) { return daemon::running_health(database, reader); };
        server = std::make_unique<api::Server>(io, config, api::routes(health), std::move(options));
        endpoint = server->endpoint();
        thread = std::thread([this] { io.run(); });
    }
    ~ApiWorld() {
        std::promise<void> stopped;
        boost::asio::post(io, [&] {
            server->stop();
            work.reset();
            stopped.set_value();
        });
        stopped.get_future().wait();
        thread.join();
        writer->finish();
    }

    TempDir dir;
    config::Config config;
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
        boost::asio::make_work_guard(io);
    std::unique_ptr<daemon::Writer> writer;
    std::unique_ptr<api::Server> server;
    std::string endpoint;
    std::thread thread;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// GET `target` as `who`, checking the answer's status; its body as JSON, or null when the body is
// not JSON (the Google Reader API's errors are plain text).
inline nlohmann::json get(const ApiWorld& world, const std::string& target, const Headers& who,
                          int status = 200) {
    const auto answer = fetch(world.endpoint, "GET", target, who);
    INFO(target << ": " << answer.body);
    CHECK(answer.status == status);
    auto body = nlohmann::json::parse(answer.body, nullptr, false);
    return body.is_discarded() ? nlohmann::json() : body;
}

}  // namespace feedd::test
