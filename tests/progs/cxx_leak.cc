// tests/progs/cxx_leak.cc: a C++ release build (g++ -O2 -g) that leaks through
// STL containers inside class methods, for the naming tests: AuditLog::append
// grows one std::vector<char> (one buffer that keeps growing, reserved in
// 512 KiB steps) and
// SessionCache::remember adds to a std::unordered_map<std::string, Session>
// (more and more entries). "control" does the same work but keeps both bounded.
// Usage: cxx_leak leak|control STATUSFILE; writes "ready" to STATUSFILE once
// running, then works until killed.
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#define NOINLINE __attribute__((noinline))

class AuditLog
{
  public:
    // A 4 MiB backlog from the start, so every buffer the log ever has is
    // sampled (a 4 MiB allocation escapes the 512 KiB sampler with odds e^-8).
    AuditLog() : buf_(4u << 20, '#')
    {
    }
    NOINLINE void append(const char *rec, size_t len);
    NOINLINE void rotate();

  private:
    std::vector<char> buf_;
};

// The log makes room in 512 KiB steps rather than letting the vector double:
// its one buffer grows by a step every half second or so, so a few snapshots
// see it grow steadily instead of a doubling that may fall between them. (A
// snapshot taken while the vector copies into its bigger buffer sees both: a
// few milliseconds every half second.)
void AuditLog::append(const char *rec, size_t len)
{
    if (buf_.size() + len > buf_.capacity())
        buf_.reserve(buf_.capacity() + (512u << 10));
    buf_.insert(buf_.end(), rec, rec + len);
}

void AuditLog::rotate()
{
    std::vector<char>().swap(buf_);
}

struct Session {
    long id;
    char user[48];
    std::string token;
};

class SessionCache
{
  public:
    NOINLINE void remember(long id);
    NOINLINE void expire();

  private:
    std::unordered_map<std::string, Session> map_;
};

void SessionCache::remember(long id)
{
    char key[64];
    snprintf(key, sizeof(key), "session-%012ld-of-some-user", id);
    Session s;
    s.id = id;
    snprintf(s.user, sizeof(s.user), "user-%ld", id % 1000);
    s.token.assign(40, (char)('a' + id % 26));
    map_.emplace(key, std::move(s));
}

void SessionCache::expire()
{
    map_.clear();
    map_.rehash(0);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "control") != 0)) {
        fprintf(stderr, "usage: cxx_leak leak|control STATUSFILE\n");
        return 2;
    }
    bool leak = strcmp(argv[1], "leak") == 0;
    static AuditLog log;
    static SessionCache cache;
    char rec[1000];
    memset(rec, 'r', sizeof(rec));
    FILE *f = fopen(argv[2], "w");
    if (f == NULL || fputs("ready\n", f) < 0 || fclose(f) != 0) {
        perror(argv[2]);
        return 1;
    }
    // Every 10 ms: 10 kB of records and 500 sessions (three allocations,
    // about 250 bytes, each), so both leaks grow by about a megabyte a second
    // or more, above the default sampling rate (512 KiB).
    for (long tick = 0;; tick++) {
        for (int i = 0; i < 10; i++)
            log.append(rec, sizeof(rec));
        for (int i = 0; i < 500; i++)
            cache.remember(tick * 500 + i);
        if (!leak && tick % 10 == 9) {
            log.rotate();
            cache.expire();
        }
        usleep(10000);
    }
}
