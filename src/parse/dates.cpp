// Dates as feeds write them. Two readers: one for ISO 8601 and its profiles (RFC 3339, W3CDTF,
// partial dates), one token-based reader for RFC 822/2822 and the forms that drift from it
// (missing or wrong day names, two-digit years, named, numeric and military zones, asctime,
// RFC 850, "Aug 23, 2024"). Anything else is unreadable: nullopt, never a guess.
#include <array>
#include <cctype>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

using namespace std::chrono;

struct Fields {
    int year = -1, month = -1, day = -1;
    int hour = 0, minute = 0, second = 0;
    int offset_minutes = 0;
};

constexpr char lower(char c) {
    return text::ascii_lower(c);
}

std::optional<TimePoint> to_time(const Fields& f) {
    if (f.year < 1 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31)
        return std::nullopt;
    if (f.hour < 0 || f.hour > 24 || f.minute < 0 || f.minute > 59 || f.second < 0 || f.second > 60)
        return std::nullopt;
    if (f.hour == 24 && (f.minute != 0 || f.second != 0)) return std::nullopt;
    const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month)},
                              day{static_cast<unsigned>(f.day)}};
    if (!date.ok()) return std::nullopt;
    const int second = f.second == 60 ? 59 : f.second;  // a leap second reads as its predecessor
    return sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{second} - minutes{f.offset_minutes};
}

// Reads `count` digits at text[i]; -1 if they are not there.
int read_digits(std::string_view text, std::size_t& i, std::size_t count) {
    if (i + count > text.size()) return -1;
    int value = 0;
    for (std::size_t k = 0; k < count; ++k) {
        if (!text::is_ascii_digit(text[i + k])) return -1;
        value = value * 10 + (text[i + k] - '0');
    }
    i += count;
    return value;
}

// "+08:00", "+0800", "+08", "Z"; returns false if what is there is not a zone.
bool read_numeric_zone(std::string_view text, std::size_t& i, int& offset) {
    if (i >= text.size()) return true;
    if (text[i] == 'Z' || text[i] == 'z') {
        ++i;
        return true;
    }
    if (text[i] != '+' && text[i] != '-') return false;
    const int sign = text[i] == '-' ? -1 : 1;
    ++i;
    const int h = read_digits(text, i, 2);
    if (h < 0) return false;
    int m = 0;
    if (i < text.size() && text[i] == ':') ++i;
    if (i + 2 <= text.size() && text::is_ascii_digit(text[i])) m = read_digits(text, i, 2);
    if (m < 0 || h > 23 || m > 59) return false;
    offset = sign * (h * 60 + m);
    return true;
}

int named_zone(std::string_view word, bool& known);

std::optional<TimePoint> parse_iso(std::string_view text) {
    Fields f;
    std::size_t i = 0;
    f.year = read_digits(text, i, 4);
    if (f.year < 0) return std::nullopt;
    const bool compact = i < text.size() && text::is_ascii_digit(text[i]);  // 20240823T055231Z
    f.month = f.day = 1;
    if (compact) {
        if ((f.month = read_digits(text, i, 2)) < 0 || (f.day = read_digits(text, i, 2)) < 0)
            return std::nullopt;
    } else if (i < text.size() && text[i] == '-') {
        ++i;
        if ((f.month = read_digits(text, i, 2)) < 0) return std::nullopt;
        if (i < text.size() && text[i] == '-') {
            ++i;
            if ((f.day = read_digits(text, i, 2)) < 0) return std::nullopt;
        }
    }
    if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
        std::size_t j = i + 1;
        while (j < text.size() && text[j] == ' ') ++j;
        const int h = read_digits(text, j, 2);
        if (h >= 0) {
            i = j;
            f.hour = h;
            if (i < text.size() && text[i] == ':') ++i;
            if (i < text.size() && text::is_ascii_digit(text[i]) && (f.minute = read_digits(text, i, 2)) < 0)
                return std::nullopt;
            if (i < text.size() && text[i] == ':') ++i;
            if (i < text.size() && text::is_ascii_digit(text[i]) && (f.second = read_digits(text, i, 2)) < 0)
                return std::nullopt;
            if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
                ++i;
                while (i < text.size() && text::is_ascii_digit(text[i])) ++i;
            }
        }
    }
    while (i < text.size() && text[i] == ' ') ++i;
    if (!read_numeric_zone(text, i, f.offset_minutes)) {
        std::string_view rest = text.substr(i);
        while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
        bool known = false;
        f.offset_minutes = named_zone(rest, known);
        if (!known) return std::nullopt;
        i = text.size();
    }
    while (i < text.size() && text[i] == ' ') ++i;
    if (i != text.size()) return std::nullopt;
    return to_time(f);
}

int month_from_word(std::string_view word) {
    static constexpr std::string_view full[] = {"january",   "february", "march",    "april",
                                                "may",       "june",     "july",     "august",
                                                "september", "october",  "november", "december"};
    if (word.ends_with('.')) word.remove_suffix(1);
    if (word.size() < 3 || word.size() > 9) return -1;
    char w[10];
    for (std::size_t i = 0; i < word.size(); ++i) w[i] = lower(word[i]);
    const std::string_view lowered(w, word.size());
    for (int m = 0; m < 12; ++m)
        if (full[m].starts_with(lowered)) return m + 1;
    if (lowered == "sept") return 9;
    return -1;
}

bool is_day_name(std::string_view word) {
    static constexpr std::string_view days[] = {"monday", "tuesday",  "wednesday", "thursday",
                                                "friday", "saturday", "sunday"};
    if (word.size() < 2) return false;
    std::string w;
    for (char c : word) w.push_back(lower(c));
    if (w.ends_with('.')) w.pop_back();
    for (auto d : days)
        if (w.size() >= 2 && d.starts_with(w)) return true;
    return w == "tues" || w == "thur" || w == "thurs";
}

int named_zone(std::string_view word, bool& known) {
    struct Zone {
        std::string_view name;
        int minutes;
    };
    static constexpr Zone zones[] = {
        {"gmt", 0},     {"ut", 0},      {"utc", 0},    {"z", 0},      {"est", -300}, {"edt", -240},
        {"cst", -360},  {"cdt", -300},  {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
        {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"ast", -240}, {"adt", -180}, {"nst", -210},
        {"ndt", -150},  {"bst", 60},    {"wet", 0},    {"west", 60},  {"cet", 60},   {"cest", 120},
        {"met", 60},    {"mest", 120},  {"eet", 120},  {"eest", 180}, {"msk", 180},  {"ist", 330},
        {"pkt", 300},   {"ict", 420},   {"wib", 420},  {"hkt", 480},  {"sgt", 480},  {"awst", 480},
        {"jst", 540},   {"kst", 540},   {"acst", 570}, {"aest", 600}, {"aedt", 660}, {"nzst", 720},
        {"nzdt", 780},  {"etc/gmt", 0},
    };
    std::string w;
    for (char c : word) w.push_back(lower(c));
    known = true;
    for (const auto& zone : zones)
        if (w == zone.name) return zone.minutes;
    // Military zones (RFC 822): A-I, K-M east, N-Y west, Z is UTC.
    if (w.size() == 1 && w[0] >= 'a' && w[0] <= 'y' && w[0] != 'j') {
        const char c = w[0];
        if (c <= 'i') return (c - 'a' + 1) * 60;
        if (c <= 'm') return (c - 'k' + 10) * 60;
        return -(c - 'n' + 1) * 60;
    }
    known = false;
    return 0;
}

std::optional<TimePoint> parse_rfc822_like(std::string_view text) {
    Fields f;
    bool have_time = false, have_zone = false, pm = false, am = false;
    std::vector<int> numbers;         // bare numbers in order
    std::vector<std::size_t> widths;  // their digit counts
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const char c = text[i];
        if (c == ' ' || c == ',' || c == '\t' || c == '.' || c == '/') {
            ++i;
        } else if (c == '(') {  // "(PDT)" comments
            const auto close = text.find(')', i);
            i = close == std::string_view::npos ? n : close + 1;
        } else if ((c == '+' || c == '-') && i + 1 < n && text::is_ascii_digit(text[i + 1]) &&
                   (have_time || numbers.size() >= 2)) {
            int offset = 0;
            std::size_t j = i;
            if (!read_numeric_zone(text, j, offset)) {
                // "+8" or "+530": hours, or hours and minutes, without padding.
                std::size_t k = i + 1;
                int value = 0;
                while (k < n && text::is_ascii_digit(text[k])) value = value * 10 + (text[k++] - '0');
                const int sign = c == '-' ? -1 : 1;
                offset = sign * (k - i - 1 <= 2 ? value * 60 : (value / 100) * 60 + value % 100);
                j = k;
            }
            f.offset_minutes = offset;
            have_zone = true;
            i = j;
        } else if (c == '-') {
            ++i;
        } else if (text::is_ascii_digit(c)) {
            std::size_t j = i;
            while (j < n && text::is_ascii_digit(text[j])) ++j;
            if (j < n && text[j] == ':') {  // a time
                std::size_t k = i;
                f.hour = read_digits(text, k, j - i <= 2 ? j - i : 2);
                if (f.hour < 0 || k != j) return std::nullopt;
                ++k;
                std::size_t m_end = k;
                while (m_end < n && text::is_ascii_digit(text[m_end])) ++m_end;
                if (m_end - k != 2 && m_end - k != 1) return std::nullopt;
                f.minute = read_digits(text, k, m_end - k);
                if (k < n && text[k] == ':') {
                    ++k;
                    std::size_t s_end = k;
                    while (s_end < n && text::is_ascii_digit(text[s_end])) ++s_end;
                    if (s_end - k == 0 || s_end - k > 2) return std::nullopt;
                    f.second = read_digits(text, k, s_end - k);
                    if (k < n && (text[k] == '.' || text[k] == ',')) {  // fractions
                        ++k;
                        while (k < n && text::is_ascii_digit(text[k])) ++k;
                    }
                }
                have_time = true;
                i = k;
            } else {
                if (j - i > 4) return std::nullopt;
                int value = 0;
                for (std::size_t k = i; k < j; ++k) value = value * 10 + (text[k] - '0');
                numbers.push_back(value);
                widths.push_back(j - i);
                i = j;
            }
        } else if (std::isalpha(static_cast<unsigned char>(c))) {
            std::size_t j = i;
            while (j < n && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
            const std::string_view word = text.substr(i, j - i);
            i = j;
            if (const int m = month_from_word(word); m > 0 && f.month < 0) {
                f.month = m;
                continue;
            }
            if (is_day_name(word)) continue;
            std::string w;
            for (char ch : word) w.push_back(lower(ch));
            if (w == "am")
                am = true;
            else if (w == "pm")
                pm = true;
            else if (w == "th" || w == "st" || w == "nd" || w == "rd" || w == "at" || w == "of")
                continue;
            else {
                bool known = false;
                const int offset = named_zone(word, known);
                if (!known) return std::nullopt;
                // "GMT+8": a named base followed by an offset is read as that offset.
                if (!have_zone) f.offset_minutes = offset;
                have_zone = true;
                if (i < n && (text[i] == '+' || text[i] == '-')) have_zone = false;
            }
        } else {
            return std::nullopt;
        }
    }
    if (f.month < 0) {
        // All-numeric "23/08/2024" is ambiguous; only year-first forms are read.
        if (numbers.size() == 3 && widths[0] == 4) {
            f.year = numbers[0], f.month = numbers[1], f.day = numbers[2];
        } else {
            return std::nullopt;
        }
    } else {
        for (std::size_t k = 0; k < numbers.size(); ++k) {
            if (widths[k] >= 3 && f.year < 0)
                f.year = numbers[k];
            else if (f.day < 0 && widths[k] <= 2)
                f.day = numbers[k];
            else if (f.year < 0)
                f.year = numbers[k] < 50 ? 2000 + numbers[k] : 1900 + numbers[k];
            else
                return std::nullopt;
        }
        if (f.year >= 100 && f.year < 1000) f.year += 1900;  // three-digit years from old perl tm_year
    }
    if (pm && f.hour < 12) f.hour += 12;
    if (am && f.hour == 12) f.hour = 0;
    return to_time(f);
}

}  // namespace

std::optional<TimePoint> parse_date(std::string_view text) noexcept {
    try {
        while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
        while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
        if (text.empty() || text.size() > 100) return std::nullopt;
        if (text.size() >= 4 && text::is_ascii_digit(text[0]) && text::is_ascii_digit(text[1]) &&
            text::is_ascii_digit(text[2]) && text::is_ascii_digit(text[3]) &&
            (text.size() == 4 || text[4] == '-' || text::is_ascii_digit(text[4]))) {
            if (auto t = parse_iso(text)) return t;
        }
        return parse_rfc822_like(text);
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace feedd::parse::detail
