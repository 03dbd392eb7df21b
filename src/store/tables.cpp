// SQLite's side of tables.hpp (PostgreSQL's is in postgres.cpp): the archive's tables as rows of
// text, for `Archive::copy`.
#include <algorithm>
#include <map>

#include "store/impl.hpp"
#include "store/text.hpp"

namespace feedd::store::detail {

std::string identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

namespace {

bool is_packed(const ArchiveTable& table, const std::string& column) {
    return std::find(table.packed.begin(), table.packed.end(), column) != table.packed.end();
}

class SqliteTables final : public Tables {
  public:
    SqliteTables(Connection& connection, bool write) : connection_(connection) {
        connection_.reset_statements();
        // The reader's first SELECT starts its snapshot, which the daemon's commits do not move.
        connection_.db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
    }
    ~SqliteTables() override {
        inserts_.clear();
        if (!committed_) connection_.db.tryExec("ROLLBACK");
    }

    std::vector<std::string> columns(const ArchiveTable& table) override {
        return connection_.call(read_failed, [&] {
            SQLite::Statement select(connection_.db, "SELECT name FROM pragma_table_info(?) ORDER BY cid");
            select.bind(1, std::string(table.name));
            std::vector<std::string> out;
            while (select.executeStep()) {
                auto name = select.getColumn(0).getString();
                if (table.link_keyed && name == "link_key") continue;  // computed by the insert
                out.push_back(std::move(name));
            }
            return out;
        });
    }

    std::int64_t count(const ArchiveTable& table) override {
        return connection_.call(read_failed, [&] {
            return connection_.db.execAndGet("SELECT count(*) FROM " + identifier(table.name)).getInt64();
        });
    }

    // The HTML unpacked (against the row's text for entries), as the archive's readers see it.
    void read(const ArchiveTable& table, const std::vector<std::string>& columns,
              const std::function<void(std::span<const Value>)>& row) override {
        connection_.call(read_failed, [&] {
            std::string sql = "SELECT ";
            for (std::size_t i = 0; i < columns.size(); ++i) {
                if (i > 0) sql += ", ";
                if (table.marks_cjk && columns[i] == "cjk")
                    sql += "CASE WHEN cjk <> '' THEN " + cjk_joined_sql() + " ELSE '' END";
                else if (is_packed(table, columns[i]))
                    sql +=
                        "feedd_unpack(" + identifier(columns[i]) + (table.against_text ? ", \"text\")" : ")");
                else
                    sql += identifier(columns[i]);
            }
            SQLite::Statement select(connection_.db, sql + " FROM " + identifier(table.name));
            std::vector<Value> values(columns.size());
            while (select.executeStep()) {
                for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
                    const auto column = select.getColumn(i);
                    if (column.isNull())
                        values[static_cast<std::size_t>(i)].reset();
                    else
                        values[static_cast<std::size_t>(i)] = column.getString();
                }
                row(values);
            }
        });
    }

    // Values come as text; a column of INTEGER affinity stores a number's text as the number.
    void write(const ArchiveTable& table, const std::vector<std::string>& columns,
               std::span<const Value> row) override {
        connection_.call(write_failed, [&] {
            auto& insert = insert_for(table, columns);
            insert.reset();
            insert.clearBindings();
            for (int i = 0; i < static_cast<int>(row.size()); ++i) {
                const auto& value = row[static_cast<std::size_t>(i)];
                if (value)
                    insert.bind(i + 1, *value);
                else
                    insert.bind(i + 1);
            }
            insert.exec();
        });
    }

    // The search indexes (FTS5 tables over `entries` and `pages`, external content) are built once,
    // from every row.
    void commit() override {
        connection_.call(write_failed, [&] {
            inserts_.clear();
            std::vector<std::string> indexes;
            SQLite::Statement fts(
                connection_.db,
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL "
                "TABLE%USING fts5%'");
            while (fts.executeStep()) indexes.push_back(fts.getColumn(0).getString());
            for (const auto& index : indexes)
                connection_.db.exec("INSERT INTO " + identifier(index) + "(" + identifier(index) +
                                    ") VALUES ('rebuild')");
            connection_.db.exec("COMMIT");
            committed_ = true;
        });
    }

  private:
    // HTML is packed as the ingest packs it (entries' against their text), `cjk` kept as its mark.
    SQLite::Statement& insert_for(const ArchiveTable& table, const std::vector<std::string>& columns) {
        auto& slot = inserts_[std::string(table.name)];
        if (slot) return *slot;
        std::size_t text_at = 0, link_at = 0;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (columns[i] == "text") text_at = i + 1;
            if (columns[i] == "canonical_link") link_at = i + 1;
        }
        std::string names, values;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const auto parameter = "?" + std::to_string(i + 1);
            names += (i > 0 ? ", " : "") + identifier(columns[i]);
            values += i > 0 ? ", " : "";
            if (table.marks_cjk && columns[i] == "cjk")
                values +=
                    "CASE WHEN " + parameter + " <> '' THEN '" + std::string(cjk_mark) + "' ELSE '' END";
            else if (is_packed(table, columns[i]) && table.against_text)
                values += "feedd_pack(" + parameter + ", ?" + std::to_string(text_at) + ")";
            else if (is_packed(table, columns[i]))
                values += "feedd_pack(" + parameter + ")";
            else
                values += parameter;
        }
        // The key is derived from the row's link as the row goes in (a second pass over the
        // copied rows would write every one of them again).
        if (table.link_keyed) {
            names += ", link_key";
            values += ", feedd_link_key(?" + std::to_string(link_at) + ")";
        }
        slot = std::make_unique<SQLite::Statement>(
            connection_.db,
            "INSERT INTO " + identifier(table.name) + " (" + names + ") VALUES (" + values + ")");
        return *slot;
    }

    Connection& connection_;
    std::map<std::string, std::unique_ptr<SQLite::Statement>> inserts_;
    bool committed_ = false;
};

}  // namespace

std::unique_ptr<Tables> Connection::tables(bool write) {
    if (write && mode != OpenMode::read_write) throw StoreError("copying needs the archive open for writing");
    return call(write ? write_failed : read_failed,
                [&] { return std::make_unique<SqliteTables>(*this, write); });
}

std::vector<std::string> sqlite_held_rows(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return {};
    std::vector<std::string> held;
    try {
        SQLite::Database db(path.string(), SQLite::OPEN_READONLY, 5000);
        for (const auto& table : archive_tables) {
            SQLite::Statement exists(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
            exists.bind(1, std::string(table.name));
            if (!exists.executeStep()) continue;  // an older archive may not have it yet
            const auto rows = db.execAndGet("SELECT count(*) FROM " + identifier(table.name)).getInt64();
            if (rows > 0) held.push_back(std::string(table.name) + ": " + std::to_string(rows));
        }
    } catch (const SQLite::Exception&) {
        return {};  // not a database SQLite reads: opening it refuses it with the reason
    }
    return held;
}

}  // namespace feedd::store::detail
