#include "api/served_html.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "feedd/html/html.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

struct DigestDeleter {
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

// SHA-256 of the base URL, a NUL (no URL holds one) and the HTML: a collision-resistant key, so
// that no feed can craft HTML that is served as another's.
std::string key_of(std::string_view html, std::string_view base_url) {
    std::unique_ptr<EVP_MD_CTX, DigestDeleter> context(EVP_MD_CTX_new());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    const char separator = '\0';
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), base_url.data(), base_url.size()) != 1 ||
        EVP_DigestUpdate(context.get(), &separator, 1) != 1 ||
        EVP_DigestUpdate(context.get(), html.data(), html.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), digest, &size) != 1)
        throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

std::size_t ServedHtml::cost_of(const Value& value) {
    // The HTML, the key, and the list node, map slot and control block around them (roughly).
    return value.html.size() + 160;
}

std::shared_ptr<const ServedHtml::Value> ServedHtml::get(std::string_view html, std::string_view base_url) {
    auto key = key_of(html, base_url);
    {
        std::lock_guard lock(mutex_);
        if (const auto it = index_.find(key); it != index_.end()) {
            slots_.splice(slots_.begin(), slots_, it->second);
            ++hits_;
            return it->second->value;
        }
        ++misses_;
    }
    // Made outside the lock: another thread's request need not wait for this one's gumbo.
    auto sanitized = html::sanitize(html, base_url);
    const auto words = text::count_words(text::html_to_text(sanitized));
    auto value = std::make_shared<const Value>(Value{std::move(sanitized), words});
    const auto cost = cost_of(*value);
    if (cost > max_bytes_ / 8) return value;
    std::lock_guard lock(mutex_);
    if (index_.count(key)) return value;  // another thread made it meanwhile
    slots_.push_front(Slot{std::move(key), value, cost});
    index_.emplace(slots_.front().key, slots_.begin());
    bytes_ += cost;
    while (bytes_ > max_bytes_) {
        auto& last = slots_.back();
        bytes_ -= last.cost;
        index_.erase(last.key);
        slots_.pop_back();
    }
    return value;
}

ServedHtml::Figures ServedHtml::figures() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, slots_.size(), bytes_};
}

}  // namespace feedd::api
