// Requests per second and latency of one API URL: C clients (threads), each with one keep-alive
// connection (a libcurl easy handle), send requests one after another for --seconds; every
// answer must be 200. Prints one line: requests, rps, median, p90, p99 and max latency in ms.
//
//   bench_api_client URL --header "X-Auth-Token: T" [--clients 1] [--seconds 10]
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Easy {
    CURL* handle = curl_easy_init();
    ~Easy() { curl_easy_cleanup(handle); }
};
struct Headers {
    curl_slist* list = nullptr;
    ~Headers() { curl_slist_free_all(list); }
};

std::size_t count_bytes(char*, std::size_t size, std::size_t n, void* total) {
    *static_cast<std::size_t*>(total) += size * n;
    return size * n;
}

}  // namespace

int main(int argc, char** argv) {
    std::string url;
    std::vector<std::string> headers;
    int clients = 1;
    double seconds = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--header" && i + 1 < argc)
            headers.emplace_back(argv[++i]);
        else if (arg == "--clients" && i + 1 < argc)
            clients = std::atoi(argv[++i]);
        else if (arg == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else
            url = arg;
    }
    if (url.empty() || clients < 1) {
        std::fprintf(stderr, "usage: bench_api_client URL [--header H]... [--clients N] [--seconds S]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    std::mutex mutex;
    std::vector<double> latencies;
    std::atomic<int> failures{0};
    std::atomic<std::size_t> bytes{0};
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            Easy easy;
            Headers list;
            for (const auto& header : headers) list.list = curl_slist_append(list.list, header.c_str());
            std::size_t received = 0;
            curl_easy_setopt(easy.handle, CURLOPT_URL, url.c_str());
            curl_easy_setopt(easy.handle, CURLOPT_HTTPHEADER, list.list);
            curl_easy_setopt(easy.handle, CURLOPT_WRITEFUNCTION, count_bytes);
            curl_easy_setopt(easy.handle, CURLOPT_WRITEDATA, &received);
            curl_easy_setopt(easy.handle, CURLOPT_NOSIGNAL, 1L);
            std::vector<double> mine;
            while (Clock::now() < end) {
                const auto before = Clock::now();
                const auto code = curl_easy_perform(easy.handle);
                long status = 0;
                curl_easy_getinfo(easy.handle, CURLINFO_RESPONSE_CODE, &status);
                mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
                if (code != CURLE_OK || status != 200) ++failures;
            }
            bytes += received;
            std::lock_guard lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads) thread.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) {
        return latencies.empty()
                   ? 0.0
                   : latencies[std::min(latencies.size() - 1,
                                        static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
    };
    std::printf(
        "requests %zu failures %d rps %.1f median_ms %.2f p90_ms %.2f p99_ms %.2f max_ms %.2f "
        "bytes_per_answer %zu\n",
        latencies.size(), failures.load(), static_cast<double>(latencies.size()) / elapsed, at(0.5), at(0.9),
        at(0.99), latencies.empty() ? 0.0 : latencies.back(),
        latencies.empty() ? std::size_t{0} : bytes.load() / latencies.size());
    curl_global_cleanup();
    return failures.load() == 0 ? 0 : 1;
}
