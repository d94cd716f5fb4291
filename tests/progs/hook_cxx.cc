// tests/progs/hook_cxx.cc: C++ new/delete under the hook. cxx_leak keeps 100
// Nodes of 1000 bytes, cxx_array_leak keeps 10 arrays of 5000 bytes,
// cxx_churn news and deletes 100 Nodes. Writes "ready" to argv[1], then waits.
#include <cstdio>
#include <cstring>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct Node {
    char data[1000];
};

static Node *volatile nodes[100];
static char *volatile arrays[10];

NOINLINE void cxx_leak()
{
    for (int i = 0; i < 100; i++)
        nodes[i] = new Node();
}

NOINLINE void cxx_array_leak()
{
    for (int i = 0; i < 10; i++)
        arrays[i] = new char[5000];
}

NOINLINE void cxx_churn()
{
    for (int i = 0; i < 100; i++) {
        Node *volatile n = new Node();
        // cppcheck-suppress uninitdata ; Node() is value-initialized
        delete n;
    }
}

int main(int argc, char **argv)
{
    cxx_leak();
    cxx_array_leak();
    cxx_churn();
    if (argc > 1) {
        FILE *f = std::fopen(argv[1], "w");
        std::fprintf(f, "ready\n");
        std::fclose(f);
    }
    for (;;)
        pause();
}
