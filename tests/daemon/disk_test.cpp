// Disk full and a read-only archive: a write that fails rolls back whole and is logged with its
// feed; the daemon keeps polling and catches up once the disk takes writes again.
//
// The archive lives on a small tmpfs that this test process mounts in a mount namespace of its
// own (private, so nothing reaches the host); the daemon it starts inherits the namespace. Under
// ctest each test case is its own process, so each gets a fresh namespace.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/http_server.hpp"
#include "support/notify_socket.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using namespace feedd::test;

namespace {

namespace fs = std::filesystem;

void write_proc(const char* path, const std::string& text) {
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) ::close(fd);
    if (!ok) throw std::runtime_error(std::string("cannot write ") + path + ": " + std::strerror(errno));
}

// A mount namespace of our own, so that the tmpfs and its remounts stay in this test. As root the
// plain one; otherwise one inside a user namespace of our own, where we are root.
void enter_private_mount_namespace() {
    std::string why;
    if (::unshare(CLONE_NEWNS) == 0) {
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) return;
        why = std::string("making / private: ") + std::strerror(errno);
    } else {
        why = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
        const auto uid = ::getuid();
        const auto gid = ::getgid();
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) {
            write_proc("/proc/self/setgroups", "deny");
            write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
            write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) return;
            why += std::string("; in a user namespace, making / private: ") + std::strerror(errno);
        } else {
            why += std::string("; unshare(CLONE_NEWUSER | CLONE_NEWNS): ") + std::strerror(errno);
        }
    }
    FAIL(
        "these tests need a mount namespace of their own for a small tmpfs (run as root, or allow "
        "unprivileged user namespaces): "
        << why);
}

// A small tmpfs on `path`, detached again with the object.
class Tmpfs {
  public:
    Tmpfs(fs::path path, const std::string& size) : path_(std::move(path)) {
        fs::create_directories(path_);
        if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + size).c_str()) != 0)
            throw std::runtime_error("cannot mount a tmpfs on " + path_.string() + ": " +
                                     std::strerror(errno));
    }
    ~Tmpfs() { ::umount2(path_.c_str(), MNT_DETACH); }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;

    void remount(bool read_only) {
        const unsigned long flags = MS_REMOUNT | MS_NOSUID | MS_NODEV | (read_only ? MS_RDONLY : 0);
        if (::mount("tmpfs", path_.c_str(), "tmpfs", flags, nullptr) != 0)
            throw std::runtime_error("cannot remount " + path_.string() + ": " + std::strerror(errno));
    }

  private:
    fs::path path_;
};

// Fills the file system under `path` to the last page; removing the file gives the space back.
void fill(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
    const std::string chunk(1 << 16, 'x');
    for (;;) {
        if (::write(fd, chunk.data(), chunk.size()) >= 0) continue;
        const int error = errno;
        ::close(fd);
        if (error == ENOSPC) return;
        throw std::runtime_error("filling " + path.string() + ": " + std::strerror(error));
    }
}

// A feed whose items the test adds (never drops), with an ETag per version that the server
// honours with 304 Not Modified: a daemon that forgets a failed write but keeps the new ETag
// would be told "not modified" and lose those items for good.
class Feed {
  public:
    Feed(std::string name, int items) : name_(std::move(name)), items_(items) {}

    void add(int count) {
        std::lock_guard lock(mutex_);
        items_ += count;
    }
    int items() const {
        std::lock_guard lock(mutex_);
        return items_;
    }
    std::string etag() const {
        std::lock_guard lock(mutex_);
        return etag_locked();
    }
    std::string title(int i) const { return name_ + " item " + std::to_string(i); }

    Response answer(const Request& request) const {
        std::lock_guard lock(mutex_);
        if (request.header("if-none-match") == etag_locked()) {
            auto response = Response::with_status(304);
            response.headers.emplace_back("ETag", etag_locked());
            return response;
        }
        std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + name_ +
                          "</title><link>https://example.org/" + name_ + "/</link>";
        for (int i = items_; i >= 1; --i) {
            // Some body, so that each new item takes pages of the archive.
            xml += "<item><title>" + title(i) + "</title><guid>" + name_ + "-" + std::to_string(i) +
                   "</guid><link>https://example.org/" + name_ + "/" + std::to_string(i) +
                   "</link><description><![CDATA[<p>" + std::string(1500, 'a' + static_cast<char>(i % 26)) +
                   " the end of " + title(i) + ".</p>]]></description></item>";
        }
        auto response = Response::text(xml + "</channel></rss>", "application/rss+xml");
        response.headers.emplace_back("ETag", etag_locked());
        return response;
    }

  private:
    std::string etag_locked() const { return "\"" + name_ + "-" + std::to_string(items_) + "\""; }

    std::string name_;
    mutable std::mutex mutex_;
    int items_;
};

// The test's world: a server with feeds of three items each, a config naming them, and (mounted by
// the test) the archive's folder.
struct World {
    explicit World(const std::vector<std::string>& names = {"alpha", "beta"}) {
        for (const auto& name : names) {
            auto feed = std::make_unique<Feed>(name, 3);
            server.route("/" + name + ".xml",
                         [raw = feed.get()](const Request& request) { return raw->answer(request); });
            feeds.emplace(name, std::move(feed));
        }
        configure(names);
    }

    // Writes feeds.toml with these of the feeds.
    void configure(const std::vector<std::string>& names) const {
        std::string config =
            "[settings]\ndatabase = \"archive/feedd.db\"\nallow_private_networks = true\nper_host = 3\n"
            "per_host_gap = \"0s\"\ninterval = \"1s\"\nmin_interval = \"1s\"\n";
        for (const auto& name : names)
            config +=
                "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + server.url("/" + name + ".xml") + "\"\n";
        write_file(dir / "feeds.toml", config);
    }

    std::vector<std::string> args(std::vector<std::string> command) const {
        command.insert(command.begin(), {"--config", (dir / "feeds.toml").string()});
        return command;
    }
    // `feedd --config feeds.toml COMMAND...` to completion.
    ProcessResult feedd(std::vector<std::string> command) const {
        return run_feedd(dir.path(), args(std::move(command)));
    }
    fs::path database() const { return dir / "archive" / "feedd.db"; }
    void add(int count) {
        for (auto& [name, feed] : feeds) feed->add(count);
    }
    int items() const {
        int total = 0;
        for (const auto& [name, feed] : feeds) total += feed->items();
        return total;
    }
    // Requests for a feed so far, in order.
    std::vector<Request> requests(const std::string& name) const {
        return server.requests("/" + name + ".xml");
    }

    HttpServer server;
    std::map<std::string, std::unique_ptr<Feed>> feeds;
    TempDir dir;
};

// What Archive::check found, one problem a line ("" when sound).
std::string problems(feedd::store::Archive& archive) {
    std::string out;
    for (const auto& problem : archive.check()) out += problem + "\n";
    return out;
}

// The archive is sound and holds every item the server holds, each exactly once, and nothing else.
void check_archive_complete(const World& world) {
    auto archive = open_read_only(world.database());
    CHECK(problems(archive) == "");
    const auto titles = archived_titles(world.database());
    for (const auto& [name, feed] : world.feeds) {
        for (int i = 1; i <= feed->items(); ++i)
            CHECK_MESSAGE(titles.count(feed->title(i)) == 1, feed->title(i));
    }
    CHECK(titles.size() == static_cast<std::size_t>(world.items()));
    for (const auto& state : archive.feed_states()) {
        INFO(state.name);
        CHECK((state.last_status == 200 || state.last_status == 304));
        CHECK(state.consecutive_failures == 0);
        CHECK(state.last_error.empty());
    }
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos) out.push_back(line);
    return out;
}

// Where the tests of a failing disk start: the archive on a 4 MiB tmpfs of its own, after a first
// poll archived three items of each feed; then the feeds gain two items each that it lacks.
struct PolledOnTmpfs {
    // First, while the test is one thread (unshare refuses a process with more).
    struct PrivateMounts {
        PrivateMounts() { enter_private_mount_namespace(); }
    };

    PolledOnTmpfs() {
        const auto first = world.feedd({"poll", "--once"});
        INFO(first.out << first.err);
        REQUIRE(first.exit_code == 0);
        world.add(2);
    }
    PrivateMounts mounts;
    World world;
    Tmpfs disk{world.dir / "archive", "4m"};
};

// `feedd run` and `feedd poll --once` both refuse to start, with this one line and nothing else.
void check_run_and_poll_refuse(const World& world, const std::string& line) {
    for (const auto& command :
         {std::vector<std::string>{"run"}, std::vector<std::string>{"poll", "--once"}}) {
        const auto refused = world.feedd(command);
        INFO(command.front());
        CHECK(refused.exit_code == 1);
        CHECK(refused.out.empty());
        CHECK(refused.err == line);
    }
}

// The daemon under test, with a 200 ms watchdog (pings every 100 ms, which also wake the waits
// of FeeddDaemon::wait_until).
struct Daemon : FeeddDaemon {
    explicit Daemon(const World& world) : FeeddDaemon(world.dir, {{"WATCHDOG_USEC", "200000"}}) {}
};

}  // namespace

TEST_CASE(
    "disk full: each failed write is one log line with its feed, polling goes on, and the daemon "
    "catches up once space returns") {
    enter_private_mount_namespace();
    World world({"alpha", "beta", "gamma"});
    Tmpfs disk(world.dir / "archive", "4m");
    Daemon daemon(world);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.wait_until(
        [&] { return fs::exists(world.database()) && archived_titles(world.database()).size() == 9; }));
    // The stored state now carries the ETag of version 3; the servers hold version 5 from here on.
    const std::map<std::string, std::string> stored_etag = {{"alpha", world.feeds.at("alpha")->etag()},
                                                            {"beta", world.feeds.at("beta")->etag()}};

    fill(world.dir / "archive" / "filler");
    const auto full_since = world.requests("alpha").size();
    world.feeds.at("alpha")->add(2);
    world.feeds.at("beta")->add(2);
    // Two failed writes of each feed: it keeps being polled, and its retries keep going.
    const auto failures = [&](const std::string& name) {
        return lines_with(daemon.log(), name + ": failed").size();
    };
    REQUIRE_MESSAGE(daemon.wait_until([&] { return failures("alpha") >= 2 && failures("beta") >= 2; }),
                    daemon.log());
    const auto full_log = daemon.log();
    CHECK(lines_with(full_log, ": failed").size() == lines_with(full_log, "full").size());
    for (const auto& line : lines_with(full_log, ": failed")) {
        INFO(line);
        // One line per failed write: the feed, that the archive refused it, and SQLite's reason.
        CHECK((line.find("alpha: failed") != std::string::npos ||
               line.find("beta: failed") != std::string::npos ||
               line.find("gamma: failed") != std::string::npos));
        CHECK(line.find("archive write failed") != std::string::npos);
        CHECK(line.find("database or disk is full") != std::string::npos);
        CHECK(line.find("archive write failed", line.find("archive write failed") + 1) == std::string::npos);
    }
    CHECK(lines_with(full_log, "worker:").empty());
    // Alive and turning: the watchdog pings and the STATUS lines keep coming.
    REQUIRE(daemon.notify.wait_for("WATCHDOG=1", 10s));
    const auto status = daemon.notify.wait_for("STATUS=", 10s);
    REQUIRE(status);
    CHECK(status->find("archive write failed") != std::string::npos);
    // Nothing of a failed poll was kept, the validators included: each retry asks with the ETag of
    // what is stored, so that the server sends the new items again.
    for (const auto& [name, etag] : stored_etag) {
        const auto requests = world.requests(name);
        for (std::size_t i = full_since; i < requests.size(); ++i)
            CHECK_MESSAGE(requests[i].header("if-none-match") == etag, name << " request " << i);
    }
    // The retries are paced (min_interval, 1 s), not a spin.
    {
        const auto requests = world.requests("alpha");
        const auto span = requests.back().received - requests[full_since].received;
        CHECK(requests.size() - full_since <= static_cast<std::size_t>(span / 1s) + 3);
    }
    {
        auto archive = open_read_only(world.database());
        CHECK(problems(archive) == "");
        CHECK(archived_titles(world.database()).size() == 9);
    }
    // A reload that drops gamma: polling follows it at once, the archive's list of feeds once
    // writes succeed again.
    world.configure({"alpha", "beta"});
    daemon.process.signal(SIGHUP);
    REQUIRE_MESSAGE(daemon.wait_until([&] {
        const auto log = daemon.log();
        return log.find("reloaded: 2 feeds") != std::string::npos &&
               log.find(
                   "reload: the archive's list of feeds is not updated yet: archive write failed: "
                   "database or disk is full") != std::string::npos;
    }),
                    daemon.log());

    // Space returns: everything the servers hold arrives, once.
    fs::remove(world.dir / "archive" / "filler");
    REQUIRE_MESSAGE(daemon.wait_until([&] { return archived_titles(world.database()).size() == 13; }),
                    daemon.log());
    {
        auto archive = open_read_only(world.database());
        for (const auto& summary : archive.feed_summaries())
            CHECK(summary.configured == (summary.name != "gamma"));
    }
    // STATUS says so as soon as a write succeeds again.
    REQUIRE(daemon.wait_until([&] {
        const auto status = daemon.last_status();
        return status.find("0 failing") != std::string::npos &&
               status.find("archive write failed") == std::string::npos;
    }));
    // And polling goes on as before.
    world.feeds.at("alpha")->add(1);
    world.feeds.at("beta")->add(1);
    REQUIRE_MESSAGE(daemon.wait_until([&] { return archived_titles(world.database()).size() == 15; }),
                    daemon.log());
    daemon.process.signal(SIGTERM);
    const auto result = daemon.process.wait();
    CHECK(result.exit_code == 0);
    check_archive_complete(world);
}

TEST_CASE("feedd poll on a full disk exits 1 with one line naming the archive and loses nothing") {
    PolledOnTmpfs start;
    auto& world = start.world;
    fill(world.dir / "archive" / "filler");

    // Nobody has the archive open: SQLite cannot even make its shared-memory file.
    auto full = world.feedd({"poll", "--once", "--force"});
    CHECK(full.exit_code == 1);
    CHECK(full.out.empty());
    CHECK(full.err == "feedd: cannot open archive " + world.database().string() +
                          ": disk I/O error (No space left on device)\n");
    // `feedd run` likewise refuses to start (systemd starts it again after RestartSec).
    const auto run = world.feedd({"run"});
    CHECK(run.exit_code == 1);
    CHECK(lines_with(run.err, "feedd: cannot open archive " + world.database().string()).size() == 1);

    // A reader that has the archive open keeps those files: then the first write is refused.
    fs::remove(world.dir / "archive" / "filler");
    {
        auto reader = open_read_only(world.database());
        fill(world.dir / "archive" / "filler");
        full = world.feedd({"poll", "--once", "--force"});
        CHECK(full.exit_code == 1);
        CHECK(full.out.empty());
        CHECK(full.err ==
              "feedd: " + world.database().string() + ": archive write failed: database or disk is full\n");
        CHECK(problems(reader) == "");
        CHECK(reader.article_count() == 6);
    }

    fs::remove(world.dir / "archive" / "filler");
    const auto again = world.feedd({"poll", "--once", "--force"});
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    check_archive_complete(world);
}

// Linux refuses to make a file system read-only while a process has a file on it open for
// writing (EBUSY), and SQLite keeps the archive open: a running daemon never sees its archive turn
// read-only, short of the file system failing. What happens is a start on a read-only archive.
TEST_CASE(
    "a read-only archive: run and poll refuse with one line and change nothing, and once it is "
    "writable the daemon catches up") {
    PolledOnTmpfs start;
    auto& world = start.world;
    auto& disk = start.disk;
    const auto lock = world.database().string() + ".lock";

    // The whole file system read-only.
    disk.remount(true);
    check_run_and_poll_refuse(world,
                              "feedd: cannot open the lock file " + lock + ": Read-only file system\n");
    disk.remount(false);

    // Only the archive file read-only (its folder writable): SQLite would open it read-only quietly.
    {
        const auto file = world.database().string();
        REQUIRE(::mount(file.c_str(), file.c_str(), nullptr, MS_BIND, nullptr) == 0);
        const bool read_only =
            ::mount(nullptr, file.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
        CHECK(read_only);
        check_run_and_poll_refuse(world, "feedd: cannot open archive " + file +
                                             " for writing: the file is read-only (read-only mount or no "
                                             "write permission)\n");
        REQUIRE(::umount2(file.c_str(), 0) == 0);
    }
    {
        auto archive = open_read_only(world.database());
        CHECK(problems(archive) == "");
        CHECK(archive.article_count() == 6);
    }

    // Writable again: the daemon starts and fetches what it missed.
    Daemon daemon(world);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE_MESSAGE(daemon.wait_until([&] { return archived_titles(world.database()).size() == 10; }),
                    daemon.log());
    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
    check_archive_complete(world);
}
