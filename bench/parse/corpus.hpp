// A generated corpus of feeds for the parse benchmark: RSS 2.0, Atom 1.0 and RSS 1.0 (RDF), CDATA
// and escaped HTML, relative links, HTML entities, some in ISO-8859-1. Deterministic for a seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace feedd::bench {

struct CorpusFile {
    std::string name;  // e.g. "0042-rss.xml"
    std::string bytes;
};

std::vector<CorpusFile> generate_corpus(std::size_t total_bytes, std::uint32_t seed);

}  // namespace feedd::bench
