// Writing feeds.toml back: textual edits, so that the operator's comments and layout survive, each
// checked by loading the result before the file is atomically replaced. Also reading secrets.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "feedd/config/config.hpp"
#include "feedd/model/location.hpp"

namespace feedd::config {

namespace {

namespace fs = std::filesystem;

std::string errno_text() {
    return std::strerror(errno);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + errno_text());
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) throw std::runtime_error("cannot read " + path.string());
    return out.str();
}

// Closes a file descriptor once.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    // Closes now, reporting the error that a deferred close would swallow.
    int close() {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

  private:
    int fd_;
};

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        if (end == std::string::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, end - start + 1));
        start = end + 1;
    }
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line;
    return out;
}

bool is_blank(const std::string& line) {
    return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

bool is_comment(const std::string& line) {
    const auto first = line.find_first_not_of(" \t");
    return first != std::string::npos && line[first] == '#';
}

// toml++ counts columns in code points; edits need byte offsets.
std::size_t byte_offset(const std::string& line, std::uint32_t column) {
    std::size_t offset = 0;
    for (std::uint32_t c = 1; c < column && offset < line.size(); ++c) {
        ++offset;
        while (offset < line.size() && (static_cast<unsigned char>(line[offset]) & 0xC0) == 0x80) ++offset;
    }
    return offset;
}

// The file, parsed both ways: as our Config (for names) and as a toml++ tree (for positions).
struct Located {
    std::string text;
    toml::table root;
    const toml::table* feed = nullptr;  // the [[feed]] table of the wanted name
    std::size_t index = 0;
};

Located locate_feed(const fs::path& path, const std::string& name) {
    Located located;
    located.text = read_text(path);
    const Config config = parse_config(located.text, path);  // throws ConfigError when invalid
    const auto found = std::find_if(config.feeds.begin(), config.feeds.end(),
                                    [&](const FeedSource& feed) { return feed.name == name; });
    if (found == config.feeds.end())
        throw std::runtime_error("no feed named \"" + name + "\" in " + path.string());
    located.index = static_cast<std::size_t>(found - config.feeds.begin());
    located.root = toml::parse(std::string_view{located.text}, std::string_view{path.string()});
    const auto* array = located.root["feed"].as_array();
    located.feed = array ? (*array)[located.index].as_table() : nullptr;
    if (!located.feed || located.feed->is_inline())
        throw std::runtime_error("feed \"" + name + "\" is not written as a [[feed]] block in " +
                                 path.string() + "; edit it by hand");
    return located;
}

// Header lines of every table written as `[...]` or `[[...]]`, except `skip` and its sub-tables.
void collect_header_lines(const toml::table& table, const toml::table* skip,
                          std::vector<std::uint32_t>& lines) {
    if (&table == skip) return;
    if (!table.is_inline() && table.source().begin.line) lines.push_back(table.source().begin.line);
    for (auto&& [key, node] : table) {
        if (const auto* sub = node.as_table()) {
            collect_header_lines(*sub, skip, lines);
        } else if (const auto* array = node.as_array()) {
            for (const auto& element : *array) {
                if (const auto* sub_table = element.as_table()) collect_header_lines(*sub_table, skip, lines);
            }
        }
    }
}

// Where an edit really goes: the target of a symbolic link (/etc/feedd/feeds.toml -> ...).
fs::path edit_target(const fs::path& path) {
    std::error_code error;
    return fs::is_symlink(path, error) ? fs::canonical(path) : fs::absolute(path);
}

// Serialises feedd's own read-modify-write edits of one file (two imports at once must not lose
// one): an exclusive flock on the file, taken again if a rename replaced it while this waited.
class EditLock {
  public:
    explicit EditLock(const fs::path& path) {
        const fs::path target = edit_target(path);
        while (true) {
            fd_ = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) return;  // no file: the read that follows reports it
            while (::flock(fd_, LOCK_EX) != 0) {
                if (errno != EINTR)
                    throw std::runtime_error("cannot lock " + target.string() + ": " + errno_text());
            }
            struct stat locked {};
            struct stat current {};
            if (::fstat(fd_, &locked) == 0 && ::stat(target.c_str(), &current) == 0 &&
                locked.st_ino == current.st_ino && locked.st_dev == current.st_dev)
                return;
            ::close(fd_);
        }
    }
    EditLock(const EditLock&) = delete;
    EditLock& operator=(const EditLock&) = delete;
    ~EditLock() {
        if (fd_ >= 0) ::close(fd_);
    }

  private:
    int fd_ = -1;
};

// Checks the edited text loads before it replaces the file.
void validate_and_write(const fs::path& path, const std::string& text) {
    parse_config(text, path);
    write_file_atomically(path, text);
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
    // Write through a symbolic link (/etc/feedd/feeds.toml -> ...), not over it.
    const fs::path target = edit_target(path);
    const fs::path folder = target.parent_path();

    struct stat original {};
    const bool existed = ::stat(target.c_str(), &original) == 0;

    std::string temp_name = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
    FileDescriptor fd(::mkstemp(temp_name.data()));
    if (fd.get() < 0)
        throw std::runtime_error("cannot create a temporary file in " + folder.string() + ": " +
                                 errno_text());
    const auto fail = [&](const std::string& what) {
        const std::string message = what + ": " + errno_text();
        ::unlink(temp_name.c_str());
        throw std::runtime_error(message);
    };
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t written = ::write(fd.get(), data, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            fail("cannot write " + temp_name);
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
    if (existed) {
        if (::fchmod(fd.get(), original.st_mode & 07777) != 0) fail("cannot set the mode of " + temp_name);
        if ((original.st_uid != ::geteuid() || original.st_gid != ::getegid()) &&
            ::fchown(fd.get(), original.st_uid, original.st_gid) != 0) {
            fail("cannot keep the owner and group of " + target.string() + " (run as its owner)");
        }
    } else if (::fchmod(fd.get(), 0640) != 0) {
        fail("cannot set the mode of " + temp_name);
    }
    if (::fsync(fd.get()) != 0) fail("cannot write " + temp_name);
    if (fd.close() != 0) fail("cannot write " + temp_name);
    if (::rename(temp_name.c_str(), target.c_str()) != 0) fail("cannot replace " + target.string());
    // The rename itself must reach the disk too.
    FileDescriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());
}

void append_feeds(const std::filesystem::path& path, const std::vector<FeedSource>& feeds) {
    const EditLock lock(path);
    std::string text = read_text(path);
    parse_config(text, path);  // refuse to build on a file that does not load
    if (feeds.empty()) return;
    if (!text.empty() && text.back() != '\n') text += '\n';
    for (const auto& feed : feeds) {
        if (!text.empty()) text += '\n';
        text += format_feed(feed);
    }
    validate_and_write(path, text);
}

void remove_feed(const std::filesystem::path& path, const std::string& name) {
    const EditLock lock(path);
    const Located located = locate_feed(path, name);
    std::vector<std::uint32_t> headers;
    collect_header_lines(located.root, located.feed, headers);
    std::vector<std::string> lines = split_lines(located.text);
    // Lines are 1-based in toml++, 0-based here.
    std::size_t start = located.feed->source().begin.line - 1;
    std::size_t end = lines.size();
    for (const auto line : headers) {
        if (line - 1 > start) end = std::min<std::size_t>(end, line - 1);
    }
    // Comments and blank lines just above the next block belong to it; comments just above this
    // block belong to this one.
    if (end < lines.size()) {
        while (end > start + 1 && (is_blank(lines[end - 1]) || is_comment(lines[end - 1]))) --end;
    }
    while (start > 0 && is_comment(lines[start - 1])) --start;
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(start),
                lines.begin() + static_cast<std::ptrdiff_t>(end));
    // Do not leave two blank lines where the block was.
    if (start > 0 && is_blank(lines[start - 1]) && (start == lines.size() || is_blank(lines[start]))) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(start - 1));
    }
    validate_and_write(path, join_lines(lines));
}

bool set_feed_enabled(const std::filesystem::path& path, const std::string& name, bool enabled) {
    const EditLock lock(path);
    const Located located = locate_feed(path, name);
    std::vector<std::string> lines = split_lines(located.text);
    const char* value = enabled ? "true" : "false";
    if (const auto* node = located.feed->get("enabled")) {
        if (node->value_or(!enabled) == enabled) return false;
        const auto region = node->source();
        if (region.begin.line != region.end.line)
            throw std::runtime_error("cannot edit `enabled` of " + name);
        std::string& line = lines[region.begin.line - 1];
        const std::size_t from = byte_offset(line, region.begin.column);
        const std::size_t to = byte_offset(line, region.end.column);
        line.replace(from, to - from, value);
    } else {
        if (enabled) return false;  // absent means enabled
        const std::size_t header = located.feed->source().begin.line - 1;
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(header + 1),
                     std::string("enabled = ") + value + "\n");
    }
    validate_and_write(path, join_lines(lines));
    return true;
}

std::string resolve_secret(const SecretSource& source) {
    fs::path file;
    switch (source.kind) {
        case SecretSource::Kind::none: return {};
        case SecretSource::Kind::env: {
            const char* value = std::getenv(source.reference.c_str());
            if (!value) throw std::runtime_error("password variable $" + source.reference + " is not set");
            return value;
        }
        case SecretSource::Kind::credential: {
            const char* folder = std::getenv("CREDENTIALS_DIRECTORY");
            if (!folder || !*folder) {
                throw std::runtime_error(
                    "systemd credential \"" + source.reference +
                    "\": $CREDENTIALS_DIRECTORY is not set (give it with LoadCredential= in the unit)");
            }
            file = fs::path(folder) / source.reference;
            break;
        }
        case SecretSource::Kind::file: file = source.reference; break;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read password file " + file.string() + ": " + errno_text());
    std::ostringstream out;
    out << in.rdbuf();
    std::string secret = out.str();
    // Files written with `echo` end with a newline that is no part of the password.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
}

std::string database_password(const Settings& settings, const std::filesystem::path& database) {
    if (!is_database_url(database.native()) || database.native() != settings.database.native()) return {};
    return resolve_secret(settings.database_password);
}

}  // namespace feedd::config
