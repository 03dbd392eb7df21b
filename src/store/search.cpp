// The CLI's search syntax as a tsquery (search.hpp). A recursive descent over the tokens, writing
// every operation in parentheses: FTS5's precedence (NOT above AND above OR) holds whatever
// tsquery's own is.
#include "store/search.hpp"

#include <utility>
#include <vector>

#include "feedd/store/store.hpp"

namespace feedd::store::detail {

namespace {

struct Token {
    enum Kind { word, phrase, open, close, or_op, and_op, not_op } kind;
    std::string text;
    bool prefix = false;
    char weight = 0;  // 'A' title, 'B' author, 'C' text
};

[[noreturn]] void fail(std::string_view search, const std::string& why) {
    throw QueryError("bad search '" + std::string(search) + "': " + why);
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool bare(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_';
}

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    char weight = 0;  // a column filter waiting for its word or phrase
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (c == '(' || c == ')') {
            if (weight != 0) fail(s, "a column filter needs a word or a phrase");
            out.push_back({c == '(' ? Token::open : Token::close, {}});
            ++i;
            continue;
        }
        if (c == '"') {
            auto end = s.find('"', i + 1);
            if (end == std::string_view::npos) fail(s, "unterminated string");
            Token t{Token::phrase, std::string(s.substr(i + 1, end - i - 1))};
            i = end + 1;
            if (i < s.size() && s[i] == '*') {
                t.prefix = true;
                ++i;
            }
            t.weight = std::exchange(weight, 0);
            out.push_back(std::move(t));
            continue;
        }
        // A bare word is letters, digits, '_' and any non-ASCII character, as in FTS5; a '*' may
        // end it (a prefix), a ':' after a column name makes a column filter. Anything else is
        // syntax the CLI does not document: an error, as on SQLite.
        std::size_t end = i;
        while (end < s.size() && bare(s[end])) ++end;
        if (end == i) fail(s, std::string("syntax error near \"") + c + "\"");
        std::string word(s.substr(i, end - i));
        i = end;
        if (i < s.size() && s[i] == ':') {
            if (weight != 0 || (word != "title" && word != "author" && word != "text"))
                fail(s, "no such column: " + word);
            weight = word == "title" ? 'A' : word == "author" ? 'B' : 'C';
            ++i;
            continue;
        }
        if (weight == 0 && (word == "OR" || word == "AND" || word == "NOT")) {
            out.push_back({word == "OR" ? Token::or_op : word == "AND" ? Token::and_op : Token::not_op, {}});
            continue;
        }
        Token t{Token::word, std::move(word)};
        if (i < s.size() && s[i] == '*') {
            t.prefix = true;
            ++i;
        }
        if (i < s.size() && !is_space(s[i]) && s[i] != '(' && s[i] != ')' && s[i] != '"')
            fail(s, std::string("syntax error near \"") + s[i] + "\"");
        t.weight = std::exchange(weight, 0);
        out.push_back(std::move(t));
    }
    if (weight != 0) fail(s, "a column filter needs a word or a phrase");
    return out;
}

std::string lexeme(const std::string& word, bool prefix, char weight) {
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') out += '\'';
        if (c == '\\') out += '\\';
        out += c;
    }
    out += "'";
    if (prefix || weight != 0) {
        out += ':';
        if (prefix) out += '*';
        if (weight != 0) out += weight;
    }
    return out;
}

class Parser {
  public:
    Parser(std::string_view search, std::vector<Token> tokens)
        : search_(search), tokens_(std::move(tokens)) {}

    std::string parse() {
        if (tokens_.empty()) fail(search_, "nothing to search for");
        auto out = or_expression();
        if (at_ < tokens_.size()) fail(search_, "syntax error near ')'");
        return out;
    }

  private:
    const Token* peek() const { return at_ < tokens_.size() ? &tokens_[at_] : nullptr; }

    std::string or_expression() {
        auto left = and_expression();
        while (peek() && peek()->kind == Token::or_op) {
            ++at_;
            left = "(" + left + " | " + and_expression() + ")";
        }
        return left;
    }

    // a b, a AND b, a NOT b
    std::string and_expression() {
        auto left = unary();
        for (;;) {
            const Token* t = peek();
            if (!t || t->kind == Token::or_op || t->kind == Token::close) return left;
            if (t->kind == Token::and_op) {
                ++at_;
                left = "(" + left + " & " + unary() + ")";
            } else if (t->kind == Token::not_op) {
                ++at_;
                left = "(" + left + " & !" + unary() + ")";
            } else {
                left = "(" + left + " & " + unary() + ")";
            }
        }
    }

    std::string unary() {
        const Token* t = peek();
        if (!t) fail(search_, "syntax error: the search ends with an operator");
        ++at_;
        switch (t->kind) {
            case Token::not_op: fail(search_, "syntax error near \"NOT\": NOT needs a word before it");
            case Token::open: {
                // FTS5's limit on nesting (SQLITE_FTS5_MAX_EXPR_DEPTH): deeper is refused on both stores.
                if (++depth_ > 256) fail(search_, "expression tree is too large (maximum depth 256)");
                auto inner = or_expression();
                --depth_;
                if (!peek() || peek()->kind != Token::close) fail(search_, "unbalanced parenthesis");
                ++at_;
                return inner;
            }
            case Token::word:
            case Token::phrase: return operand(*t);
            default: fail(search_, "syntax error near an operator");
        }
    }

    // The word or phrase as one quoted operand: to_tsquery reads it with the index's own parser
    // and dictionaries (a phrase, or a word such as "foo-bar", becomes lexemes joined by <->; a
    // host name stays one lexeme as in the index).
    std::string operand(const Token& t) {
        if (t.kind == Token::phrase && t.text.find_first_not_of(" \t\r\n") == std::string::npos)
            fail(search_, "an empty phrase");
        return lexeme(t.text, t.prefix, t.weight);
    }

    std::string_view search_;
    std::vector<Token> tokens_;
    std::size_t at_ = 0;
    int depth_ = 0;
};

}  // namespace

std::string tsquery_text(std::string_view search) {
    return Parser(search, tokenize(search)).parse();
}

}  // namespace feedd::store::detail
