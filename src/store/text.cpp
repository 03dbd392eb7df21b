// The archive's content hash (the text forms and the hash itself are feedd_text's).
#include "store/text.hpp"

namespace feedd::store::detail {

std::string content_hash(std::string_view title, std::string_view published, std::string_view text) {
    return Hasher().add(collapse_space(title)).add('\x1f').add(published).add('\x1f').add(text).hex();
}

}  // namespace feedd::store::detail
