// zstd frames for the archive's long text, and the SQL functions that read them (and the link key).
// Compiled twice: into the store, and with FEEDD_SQLITE_EXTENSION into the loadable extension
// that gives a plain sqlite3 client the same functions (`.load libfeedd_sqlite`).
#ifdef FEEDD_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "store/pack.hpp"
#include "store/text.hpp"

namespace feedd::store::detail {
namespace {

// Larger than any value the archive stores (max_storable_body is 256 MiB): a damaged header that
// announces more is refused before anything is allocated.
constexpr unsigned long long max_unpacked = 1ULL << 30;
// zstd's first fast level. On the benchmark corpus (src/store/README.md) it packs the HTML against
// the entries' text into 23.9 MB where level 3 made 19.9 MB (2 % of the archive) with 31 % fewer
// instructions; packing at level 3 was 13 % of a cold poll's. Any level reads back the same.
constexpr int level = -1;

struct FreeCCtx {
    void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
    void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

// One context per thread, reused: creating one costs more than packing a short entry.
ZSTD_CCtx& compressor() {
    thread_local std::unique_ptr<ZSTD_CCtx, FreeCCtx> context(ZSTD_createCCtx());
    if (!context) throw std::bad_alloc();
    return *context;
}
ZSTD_DCtx& decompressor() {
    thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> context(ZSTD_createDCtx());
    if (!context) throw std::bad_alloc();
    return *context;
}

}  // namespace

std::optional<std::string> pack(std::string_view text, std::string_view prefix) {
    if (text.size() < 64) return std::nullopt;  // a frame's header and checksum cost ~10 bytes
    auto& c = compressor();
    ZSTD_CCtx_reset(&c, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(&c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(&c, ZSTD_c_checksumFlag, 1);
    if (!prefix.empty()) ZSTD_CCtx_refPrefix(&c, prefix.data(), prefix.size());
    // The frame is the only copy made: written straight from the caller's text.
    std::string frame(std::min(ZSTD_compressBound(text.size()), text.size() - 1), '\0');
    const std::size_t size = ZSTD_compress2(&c, frame.data(), frame.size(), text.data(), text.size());
    if (ZSTD_isError(size)) return std::nullopt;  // not smaller (dstSize_tooSmall), or out of memory
    frame.resize(size);
    if (frame.capacity() > 2 * size + 4096) frame.shrink_to_fit();  // a large body: keep only the frame
    return frame;
}

std::string unpack(std::string_view frame, std::string_view prefix) {
    const auto announced = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (announced == ZSTD_CONTENTSIZE_ERROR || announced == ZSTD_CONTENTSIZE_UNKNOWN)
        throw DamagedValue("not a zstd frame with its size");
    if (announced > max_unpacked)
        throw DamagedValue("frame announces " + std::to_string(announced) + " bytes");
    auto& d = decompressor();
    ZSTD_DCtx_reset(&d, ZSTD_reset_session_and_parameters);
    if (!prefix.empty()) ZSTD_DCtx_refPrefix(&d, prefix.data(), prefix.size());
    std::string text(static_cast<std::size_t>(announced), '\0');
    const std::size_t size = ZSTD_decompressDCtx(&d, text.data(), text.size(), frame.data(), frame.size());
    if (ZSTD_isError(size)) throw DamagedValue(std::string("zstd: ") + ZSTD_getErrorName(size));
    if (size != text.size()) throw DamagedValue("frame holds less than it announces");
    return text;
}

namespace {

// The text a function argument stands for: TEXT as it is, a BLOB unpacked.
std::string argument_text(sqlite3_value* value, std::string_view prefix) {
    const auto* bytes = static_cast<const char*>(sqlite3_value_blob(value));
    const auto size = static_cast<std::size_t>(sqlite3_value_bytes(value));
    return unpack({bytes == nullptr ? "" : bytes, size}, prefix);
}

// An error that names its cause; SQLITE_CORRUPT, so that a damaged row is never taken for a
// mistake in the user's search expression (both would otherwise be SQLITE_ERROR).
void damaged(sqlite3_context* context, const std::string& why) {
    const std::string message = "damaged compressed text in the archive (" + why + ")";
    sqlite3_result_error(context, message.c_str(), -1);
    sqlite3_result_error_code(context, SQLITE_CORRUPT);
}

void unpack_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) return sqlite3_result_value(context, argv[0]);
    try {
        std::string prefix;
        if (argc > 1 && sqlite3_value_type(argv[1]) == SQLITE_BLOB)
            prefix = argument_text(argv[1], {});
        else if (argc > 1 && sqlite3_value_type(argv[1]) == SQLITE_TEXT)
            prefix.assign(reinterpret_cast<const char*>(sqlite3_value_text(argv[1])),
                          static_cast<std::size_t>(sqlite3_value_bytes(argv[1])));
        auto text = argument_text(argv[0], prefix);
        sqlite3_result_text64(context, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } catch (const DamagedValue& e) {
        damaged(context, e.what());
    } catch (const std::bad_alloc&) {
        sqlite3_result_error_nomem(context);
    }
}

void pack_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) return sqlite3_result_value(context, argv[0]);
    try {
        const auto view = [](sqlite3_value* v) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
            return std::string_view(text == nullptr ? "" : text,
                                    static_cast<std::size_t>(sqlite3_value_bytes(v)));
        };
        // A packed prefix is first unpacked, as feedd_unpack does.
        std::string prefix;
        if (argc > 1 && sqlite3_value_type(argv[1]) == SQLITE_BLOB)
            prefix = argument_text(argv[1], {});
        else if (argc > 1)
            prefix = view(argv[1]);
        auto frame = pack(view(argv[0]), prefix);
        if (!frame) return sqlite3_result_value(context, argv[0]);
        sqlite3_result_blob64(context, frame->data(), frame->size(), SQLITE_TRANSIENT);
    } catch (const DamagedValue& e) {
        damaged(context, e.what());
    } catch (const std::bad_alloc&) {
        sqlite3_result_error_nomem(context);
    }
}

void link_key_function(sqlite3_context* context, int, sqlite3_value** argv) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const auto key = link_key(std::string_view(text == nullptr ? "" : text,
                                               static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
    if (key)
        sqlite3_result_int64(context, *key);
    else
        sqlite3_result_null(context);
}

}  // namespace

int register_functions(sqlite3* db) {
    constexpr int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    for (int argc : {1, 2}) {
        if (int rc = sqlite3_create_function_v2(db, "feedd_unpack", argc, flags, nullptr, unpack_function,
                                                nullptr, nullptr, nullptr);
            rc != SQLITE_OK)
            return rc;
        if (int rc = sqlite3_create_function_v2(db, "feedd_pack", argc, flags, nullptr, pack_function,
                                                nullptr, nullptr, nullptr);
            rc != SQLITE_OK)
            return rc;
    }
    return sqlite3_create_function_v2(db, "feedd_link_key", 1, flags, nullptr, link_key_function, nullptr,
                                      nullptr, nullptr);
}

}  // namespace feedd::store::detail

#ifdef FEEDD_SQLITE_EXTENSION
// `.load libfeedd_sqlite` in sqlite3: the archive's views read as text.
extern "C" int sqlite3_feeddsqlite_init(sqlite3* db, char** /*error*/, const sqlite3_api_routines* api) {
    SQLITE_EXTENSION_INIT2(api);
    return feedd::store::detail::register_functions(db);
}
#endif
