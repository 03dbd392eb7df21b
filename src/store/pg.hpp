// libpq, with one owner per handle (PGconn, PGresult), prepared statements by the address of
// their SQL text (string literals, as the SQLite store's cache), and parameters always bound
// (text format). The PostgreSQL store's only contact with libpq.
//
// libpq directly rather than libpqxx 6.4: the store needs a dozen calls (connect, prepare, exec,
// fields), wants every error as its own one-line text with no password in it, and already keeps a
// statement cache of its own; libpqxx would add a C++ library whose exceptions and ABI (C++17
// build of Debian's package) sit between the store and those calls without saving code here.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "feedd/model/model.hpp"
#include "feedd/text/text.hpp"

namespace feedd::store::pg {

// A failed command: PostgreSQL's SQLSTATE and its message's first line.
class Error : public std::runtime_error {
  public:
    Error(std::string state, const std::string& message)
        : std::runtime_error(message), state_(std::move(state)) {}
    const std::string& state() const { return state_; }

  private:
    std::string state_;
};

struct ResultFree {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct ConnectionFinish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

// One result set; fields read by row and column position.
class Result {
  public:
    Result() = default;
    explicit Result(PGresult* r) : result_(r) {}
    int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
    bool null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string text(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::int64_t integer(int row, int column) const {
        return null(row, column) ? 0 : std::stoll(PQgetvalue(result_.get(), row, column));
    }
    double real(int row, int column) const {
        return null(row, column) ? 0.0 : std::stod(PQgetvalue(result_.get(), row, column));
    }
    std::optional<TimePoint> time(int row, int column) const {
        if (null(row, column)) return std::nullopt;
        return TimePoint(std::chrono::seconds(integer(row, column)));
    }
    int column(const char* name) const {
        const int index = PQfnumber(result_.get(), name);
        if (index < 0) throw Error("42703", std::string("no column ") + name + " in the result");
        return index;
    }
    bool ok() const {
        const auto status = result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    }
    std::int64_t affected() const {
        const char* n = PQcmdTuples(result_.get());
        return n[0] == '\0' ? 0 : std::stoll(n);
    }

  private:
    std::unique_ptr<PGresult, ResultFree> result_;
};

// A statement's parameters in PostgreSQL's text form; absent values are NULL. Strings are
// referred to where they are (the caller's values outlive the call); numbers are formatted here.
class Params {
  public:
    Params() = default;
    Params(const Params&) = delete;
    Params& operator=(const Params&) = delete;

    Params& add(const std::string& value) {
        // PostgreSQL's text is valid UTF-8 without NUL; SQLite keeps any bytes. A value that is
        // not is bound without its NULs, each invalid byte as U+FFFD, rather than refused.
        if (value.find('\0') != std::string::npos || text::find_invalid_utf8(value) != std::string::npos) {
            std::string clean;
            for (char c : value)
                if (c != '\0') clean += c;
            return own(text::valid_utf8(clean));
        }
        values_.push_back(value.c_str());
        return *this;
    }
    // A temporary is kept here until the statement ran.
    Params& add(std::string&& value) {
        if (value.find('\0') != std::string::npos || text::find_invalid_utf8(value) != std::string::npos) {
            std::string clean;
            for (char c : value)
                if (c != '\0') clean += c;
            return own(text::valid_utf8(clean));
        }
        return own(std::move(value));
    }
    Params& add(const char* value) { return own(value); }
    Params& add(std::int64_t value) { return own(std::to_string(value)); }
    Params& add(int value) { return own(std::to_string(value)); }
    Params& add(bool value) { return own(value ? "1" : "0"); }
    Params& add(TimePoint value) { return add(static_cast<std::int64_t>(value.time_since_epoch().count())); }
    Params& add(const std::optional<TimePoint>& value) { return value ? add(*value) : null(); }
    Params& add(const std::optional<std::int64_t>& value) { return value ? add(*value) : null(); }
    Params& add(const std::string* value) { return value ? add(*value) : null(); }
    Params& null() {
        values_.push_back(nullptr);
        return *this;
    }
    // Strings are referred to where they are: pass values that outlive the statement's run (a
    // temporary string is kept by `add(std::string&&)`, not here).
    template <class... Values>
    static Params of(const Values&... values) {
        Params params;
        (params.add(values), ...);
        return params;
    }
    Params(Params&&) = default;

    int size() const { return static_cast<int>(values_.size()); }
    const char* const* values() const { return values_.data(); }

  private:
    Params& own(std::string value) {
        owned_.push_back(std::make_unique<std::string>(std::move(value)));
        values_.push_back(owned_.back()->c_str());
        return *this;
    }
    std::vector<const char*> values_;
    std::vector<std::unique_ptr<std::string>> owned_;
};

// A list as an array parameter in PostgreSQL's text form ({"a","b"}), for `= ANY($1::text[])` and
// `unnest`: one statement for a poll's lookups rather than one per entry. The items are strings,
// or pointers to strings (a list picked out of others without copying them).
inline std::string_view array_item(const std::string* item) {
    return *item;
}
inline std::string_view array_item(std::string_view item) {
    return item;
}
template <typename Range>
std::string array_literal(const Range& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (char c : array_item(item)) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

// One connection and its prepared statements.
class Session {
  public:
    // Throws Error (state "08001") with libpq's reason, its password-free location in front.
    // `password`: given to libpq apart from the URI; empty: libpq's own (peer, PGPASSFILE).
    Session(const std::string& uri, const std::string& shown, const std::string& password = {});

    // A session setting (`SET …`), run now and again on every new connection.
    void keep(const char* sql);

    // A prepared statement, prepared on its first use; `sql` must be a string with static storage
    // (the cache is keyed by its address).
    Result exec(const char* sql, const Params& params = {});
    // A statement run once (its text depends on the query's shape, never on values).
    Result run(const std::string& sql, const Params& params = {});
    void command(const char* sql) { run(sql); }
    PGconn* handle() const { return conn_.get(); }
    // Connections made so far: a transaction that began on one cannot end on another.
    int connections() const { return connections_; }

    // A prepared statement whose result nobody reads (a write), sent now and run in order before
    // the next `exec`/`run`, which waits for both in one round trip (libpq's pipeline mode). Its
    // failure is thrown by that next call. Parameters are copied into libpq's buffer here.
    void defer(const char* sql, const Params& params = {});
    // Waits for whatever was deferred; throws its first failure.
    void flush();

  private:
    // Opens the connection with the parameters the constructor kept; false when libpq could not.
    bool connect();
    // Why the connection failed or broke, one line (libpq's message).
    [[nodiscard]] std::string connection_error() const;
    // A connection that broke (the server restarted, failed over, ended it) is replaced by a new
    // one on the next statement: libpq does not reconnect by itself, and the daemon would
    // otherwise run on, archiving nothing, until restarted. Throws when the new one fails too.
    void reconnect_if_lost();
    // `error`, and when the connection broke with it, the new connection's outcome: the failed
    // statement stays failed (its transaction died with the connection), the next one runs.
    Error lost(Error error);
    Result check(PGresult* result);
    // The name of `sql`'s prepared statement; in pipeline mode a new one is prepared in the pipeline.
    const std::string& statement(const char* sql, bool pipelined);
    void send(const char* sql, const Params& params);
    Result finish();  // sync, read every result of the pipeline, return the last
    std::string shown_;
    std::vector<std::string> keywords_, values_;  // PQconnectdbParams', for every connection
    std::vector<const char*> settings_;           // keep()'s, run on every new connection
    std::unique_ptr<PGconn, ConnectionFinish> conn_;
    std::unordered_map<const char*, std::string> prepared_;
    int connections_ = 0;
    int named_ = 0;  // statements named so far (a failed prepare's name is not used again)
    // What the pipeline holds, in order: a statement to prepare (its SQL) or one to run (nullptr).
    std::vector<const char*> pipeline_;
};

// BEGIN … COMMIT; rolled back when it ends uncommitted (an exception on the way).
class Transaction {
  public:
    // BEGIN goes with the transaction's first statement (one round trip fewer).
    explicit Transaction(Session& session, const char* begin = "BEGIN") : session_(session) {
        session_.defer(begin);  // reconnects first if the connection was lost
        connection_ = session_.connections();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (done_) return;
        // A deferred write that failed aborts the first ROLLBACK with it (same pipeline); when the
        // second fails too, the connection is gone, and so is the transaction.
        for (int attempt = 0; attempt < 2; ++attempt) {
            try {
                session_.command("ROLLBACK");
                return;
            } catch (...) {
            }
        }
    }
    void commit() {
        // The server rolled back what ran before the connection broke: a caller that went on after
        // the failure would otherwise commit the rest alone on the new connection.
        if (session_.connections() != connection_)
            throw Error("08006",
                        "database connection lost during the transaction: nothing of it was written");
        session_.command("COMMIT");
        done_ = true;
    }

  private:
    Session& session_;
    int connection_ = 0;
    bool done_ = false;
};

}  // namespace feedd::store::pg
