// A real PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder, listening on a
// Unix socket in that folder only (no TCP port, so test runs of several build trees never meet),
// fsync off. PostgreSQL refuses to run as root; as root the server runs as the `postgres` user
// (else `nobody`), owner of the folder.
//
// One server per ctest run: tests/CMakeLists.txt starts it as a fixture (FIXTURES_SETUP, the
// `feedd_test_postgres start` program) and stops it after the last test that needs it; the tests
// find it through FEEDD_TEST_POSTGRES (a state file naming the folder). A test binary run by hand
// starts its own, once, and stops it at exit. Missing server binaries are an error, never a skip.
//
// Each test gets a database of its own (`PostgresDatabase`), dropped when it ends.
#pragma once

#include <libpq-fe.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace feedd::test {

namespace postgres_detail {

// The newest installed server's programs (Debian: /usr/lib/postgresql/<major>/bin).
inline std::filesystem::path server_bin() {
    std::vector<std::filesystem::path> found;
    std::error_code error;
    for (const auto& dir : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
        if (std::filesystem::exists(dir.path() / "bin" / "initdb") &&
            std::filesystem::exists(dir.path() / "bin" / "pg_ctl"))
            found.push_back(dir.path() / "bin");
    }
    if (found.empty())
        throw std::runtime_error(
            "PostgreSQL server programs (initdb, pg_ctl) not found under /usr/lib/postgresql: "
            "run scripts/install-deps (package postgresql)");
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return std::stoi(a.parent_path().filename().string()) <
               std::stoi(b.parent_path().filename().string());
    });
    return found.back();
}

// Who runs the server: ourselves, or an unprivileged user when we are root.
inline std::optional<std::string> server_user() {
    if (geteuid() != 0) return std::nullopt;
    for (const char* name : {"postgres", "nobody"})
        if (getpwnam(name) != nullptr) return std::string(name);
    throw std::runtime_error("running as root and neither user postgres nor nobody exists");
}

inline std::string quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs a command as the server's user; its output goes to `log`. Throws with the log's end.
inline void run(const std::vector<std::string>& args, const std::filesystem::path& log) {
    std::string command;
    if (auto user = server_user()) command = "runuser -u " + quote(*user) + " -- ";
    for (const auto& arg : args) command += quote(arg) + " ";
    command += ">>" + quote(log.string()) + " 2>&1";
    if (std::system(command.c_str()) != 0) {
        auto text = slurp(log);
        if (text.size() > 2000) text = text.substr(text.size() - 2000);
        throw std::runtime_error("test PostgreSQL: `" + args.front() + "` failed:\n" + text);
    }
}

inline std::string uri_for(const std::filesystem::path& dir, const std::string& database) {
    return "postgresql://feedd_test@/" + database + "?host=" + dir.string();
}

// The group whose members must give a password (pg_hba.conf, scram-sha-256): PasswordRole.
inline constexpr const char* password_group = "feedd_password_login";

}  // namespace postgres_detail

// Starts the server of `dir` (made by start_postgres, stopped by stop_postgres) again, on the same
// socket: a database restart or failover as its clients see it.
inline void restart_postgres(const std::filesystem::path& dir) {
    using namespace postgres_detail;
    const std::string options = "-c listen_addresses='' -c unix_socket_directories='" + dir.string() +
                                "' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                                " -c max_connections=60 -c shared_buffers=32MB -c hba_file='" +
                                (dir / "pg_hba.conf").string() + "'";
    run({(server_bin() / "pg_ctl").string(), "-D", (dir / "data").string(), "-l",
         (dir / "server.log").string(), "-w", "-t", "60", "-o", options, "start"},
        dir / "server.log");
}

// Starts a server in the fresh folder `dir` (made by the caller). Returns when it accepts connections.
inline void start_postgres(const std::filesystem::path& dir) {
    using namespace postgres_detail;
    const auto bin = server_bin();
    if (auto user = server_user()) {
        auto* pw = getpwnam(user->c_str());
        if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot give " + dir.string() + " to " + *user);
    }
    const auto log = dir / "server.log";
    write_file(log, "");
    if (auto user = server_user()) {
        auto* pw = getpwnam(user->c_str());
        if (chown(log.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown the log");
    }
    run({(bin / "initdb").string(), "-D", (dir / "data").string(), "-U", "feedd_test", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"},
        log);
    // Members of feedd_password_login sign in with their password only (the password tests);
    // every other role is trusted.
    const auto hba = dir / "pg_hba.conf";
    write_file(hba, "local all +" + std::string(password_group) +
                        " scram-sha-256\n"
                        "local all all trust\n");
    if (auto user = server_user()) {
        auto* pw = getpwnam(user->c_str());
        if (chown(hba.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot chown pg_hba.conf");
    }
    restart_postgres(dir);
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri_for(dir, "postgres").c_str()),
                                                      PQfinish);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexec(conn.get(), ("CREATE ROLE " + std::string(password_group) + " NOLOGIN").c_str()), PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
        throw std::runtime_error(std::string("test PostgreSQL: cannot create the password group: ") +
                                 PQerrorMessage(conn.get()));
}

inline void stop_postgres(const std::filesystem::path& dir) {
    using namespace postgres_detail;
    if (!std::filesystem::exists(dir / "data" / "postmaster.pid")) return;
    run({(server_bin() / "pg_ctl").string(), "-D", (dir / "data").string(), "-m", "immediate", "-w", "stop"},
        dir / "stop.log");
}

// The server of this test process: the ctest fixture's, else one of its own.
class PostgresServer {
  public:
    static PostgresServer& instance() {
        static PostgresServer server;
        return server;
    }
    const std::filesystem::path& dir() const { return dir_; }
    std::string uri(const std::string& database) const { return postgres_detail::uri_for(dir_, database); }

    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;
    ~PostgresServer() {
        if (!own_ || getpid() != owner_) return;  // a forked child never stops its parent's server
        try {
            stop_postgres(dir_);
        } catch (...) {
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

  private:
    PostgresServer() {
        if (const char* state = std::getenv("FEEDD_TEST_POSTGRES")) {
            auto text = slurp(state);
            while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
            if (text.empty() ||
                !std::filesystem::exists(std::filesystem::path(text) / "data" / "postmaster.pid"))
                throw std::runtime_error(std::string("FEEDD_TEST_POSTGRES=") + state +
                                         " names no running test server (did the postgres fixture fail?)");
            dir_ = text;
            return;
        }
        std::string pattern = "/tmp/feedd-pg-XXXXXX";  // short: a socket path has 107 bytes
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        own_ = true;
        owner_ = getpid();
        start_postgres(dir_);
    }

    std::filesystem::path dir_;
    bool own_ = false;
    pid_t owner_ = 0;
};

// Runs one statement on the server's `postgres` database (creating and dropping databases).
inline void postgres_admin(const std::string& sql) {
    auto& server = PostgresServer::instance();
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(server.uri("postgres").c_str()), PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK)
        throw std::runtime_error(std::string("test PostgreSQL: ") + PQerrorMessage(conn.get()));
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
        throw std::runtime_error("test PostgreSQL: " + sql + ": " + PQresultErrorMessage(result.get()));
}

// An empty database of the test's own on the test server, dropped with the object.
class PostgresDatabase {
  public:
    PostgresDatabase() {
        static std::atomic<int> serial{0};
        name_ = "feedd_t" + std::to_string(getpid()) + "_" + std::to_string(serial++);
        postgres_admin("CREATE DATABASE " + name_);
    }
    ~PostgresDatabase() {
        try {
            postgres_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (...) {
        }
    }
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    const std::string& name() const { return name_; }
    std::string uri() const { return PostgresServer::instance().uri(name_); }

  private:
    std::string name_;
};

// A role of the test's own that signs in only with `password()` (scram-sha-256), owner of a new
// database of its own; both dropped with the object.
class PasswordRole {
  public:
    PasswordRole() {
        static std::atomic<int> serial{0};
        const auto suffix = std::to_string(getpid()) + "_" + std::to_string(serial++);
        role_ = "feedd_pw" + suffix;
        database_ = "feedd_pwdb" + suffix;
        postgres_admin("CREATE ROLE " + role_ + " LOGIN PASSWORD '" + password() + "' IN ROLE " +
                       postgres_detail::password_group);
        postgres_admin("CREATE DATABASE " + database_ + " OWNER " + role_);
    }
    ~PasswordRole() {
        try {
            postgres_admin("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
            postgres_admin("DROP ROLE IF EXISTS " + role_);
        } catch (...) {
        }
    }
    PasswordRole(const PasswordRole&) = delete;
    PasswordRole& operator=(const PasswordRole&) = delete;

    static std::string password() { return "s3cret-Pw-42"; }
    // The URI, without the password.
    std::string uri() const {
        return "postgresql://" + role_ + "@/" + database_ +
               "?host=" + PostgresServer::instance().dir().string();
    }

  private:
    std::string role_, database_;
};

}  // namespace feedd::test
