// tests/progs/dwtypes_cxx.cc: libstdc++ containers behind typed globals, for
// the DWARF types of their buffers and nodes (tests/integration/dwtypes.sh):
// a vector of structs with std::string members, a vector<double>, a string,
// a map, an unordered_map, a list and a deque, each of a non-trivial value
// type, and a class in a namespace with a vector member. Usage: dwtypes_cxx STATUSFILE; writes one
// JSON line with its pid and each case's chunk bytes (malloc_usable_size + 8, found from the
// elements' addresses and libstdc++'s node layouts) when all is in place, then waits to be killed.
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <list>
#include <malloc.h>
#include <map>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

struct Session {
    std::string user;
    long id;
    double score;
};

namespace shop
{
struct Cart {
    std::vector<long> items;
    int owner;
};
} // namespace shop

std::vector<Session> g_vec;
shop::Cart *g_cart;
std::vector<double> g_xs;
std::string g_str;
std::map<int, Session> g_map;
std::unordered_map<long, Session> g_umap;
std::list<Session> g_list;
std::deque<Session> g_deque;

static unsigned long long chunk(const void *p)
{
    return (unsigned long long)malloc_usable_size(const_cast<void *>(p)) + 8;
}

static std::string name(const char *kind, int i)
{
    return std::string(kind) + "-user-name-long-enough-for-the-heap-" + std::to_string(i);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    g_vec.reserve(1000);
    for (int i = 0; i < 1000; i++)
        g_vec.push_back({name("vec", i), i, 0.5});
    g_xs.resize(5000);
    g_str.assign(3000, 'x');
    for (int i = 0; i < 1000; i++) {
        g_map[i] = {"m", i, 1};
        g_umap[i] = {"u", i, 3};
        g_list.push_back({"l", i, 2});
        g_deque.push_back({"d", i, 4});
    }
    g_cart = new shop::Cart;
    g_cart->items.resize(500);
    unsigned long long vec = chunk(g_vec.data()), users = 0, map = 0, umap = 0, list = 0;
    for (const Session &s : g_vec)
        users += chunk(s.user.data());
    // The nodes' headers before their values: _Rb_tree_node_base (32 bytes),
    // _Hash_node_base (8), _List_node_base (16).
    for (const auto &kv : g_map)
        map += chunk(reinterpret_cast<const char *>(&kv) - 32);
    for (const auto &kv : g_umap)
        umap += chunk(reinterpret_cast<const char *>(&kv) - 8);
    for (const Session &s : g_list)
        list += chunk(reinterpret_cast<const char *>(&s) - 16);
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"ready\":%d,\"vec\":%llu,\"users\":%llu,\"xs\":%llu,\"str\":%llu,"
                       "\"map\":%llu,\"umap\":%llu,\"list\":%llu,\"cart\":%llu,\"items\":%llu}\n",
                       (int)getpid(), vec, users, chunk(g_xs.data()), chunk(g_str.data()), map,
                       umap, list, chunk(g_cart), chunk(g_cart->items.data()));
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, line, (size_t)len) != len)
        return 1;
    close(fd);
    for (;;)
        pause();
}
