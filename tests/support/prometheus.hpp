// Reading a Prometheus scrape as Prometheus's own Python client does (Debian's
// python3-prometheus-client, the reference parser of the text format), for the tests of
// metrics and of /metrics.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace feedd::test {

// Every sample as prometheus_client parses it: [family, type, help, sample name, labels, value].
// A text the parser refuses fails the test.
inline nlohmann::json parsed_by_prometheus_client(const std::string& text) {
    TempDir dir;
    write_file(dir.path() / "metrics", text);
    write_file(dir.path() / "read.py", R"PY(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in family.samples:
        out.append([family.name, family.type, family.documentation, s.name, s.labels, s.value])
print(json.dumps(out))
)PY");
    Process python(dir.path(), {"/usr/bin/python3", (dir.path() / "read.py").string(),
                                (dir.path() / "metrics").string()});
    auto result = python.wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.out);
}

// The value of the sample `name` with exactly these labels, if the scrape has it.
inline std::optional<double> sample_value(const nlohmann::json& samples, const std::string& name,
                                          const nlohmann::json& labels = nlohmann::json::object()) {
    for (const auto& s : samples)
        if (s[3] == name && s[4] == labels) return s[5].get<double>();
    return std::nullopt;
}

}  // namespace feedd::test
