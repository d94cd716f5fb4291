// tests/progs/unwind_cxx.cc: C++ at -O2 that allocates through libstdc++ on
// many paths (map nodes, strings, vectors, std::function, shared_ptr, a
// throw and catch every hundredth round, std::sort with a comparator that
// allocates), then exits; hook_unwind.sh runs it under unwind_compare.so.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static bool work(int rounds)
{
    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < rounds; i++) {
        m[std::to_string(i) + "-a-key-long-enough-for-the-heap"].push_back(i);
        try {
            if (i % 100 == 0)
                throw std::runtime_error("round " + std::to_string(i));
        } catch (const std::exception &e) {
            m[e.what()].push_back(i);
        }
        std::function<void()> f = [&m, i]() {
            auto p = std::make_shared<std::string>(std::to_string(i));
            m[*p].push_back(i);
        };
        f();
    }
    std::vector<std::string> keys;
    for (const auto &kv : m)
        keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end(), [](const std::string &a, const std::string &b) {
        std::string both = a + b;
        return both.size() % 3 == 0 ? a < b : b < a;
    });
    return !keys.empty();
}

int main()
{
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; t++)
        threads.emplace_back([] { work(5000); });
    bool ok = work(20000);
    for (auto &t : threads)
        t.join();
    return ok ? 0 : 1;
}
