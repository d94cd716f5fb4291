// tests/progs/holders_cxx.cc: C++ holders (issue 17). A registry in a
// namespace keeps a std::vector of pointers to sessions; each session owns
// its buffer through a std::unique_ptr member. Everything is held by the
// global object store::g_registry: the vector's array, the sessions, their
// buffers. A session dropped without delete is lost with its buffer.
// Usage: holders_cxx STATUSFILE; writes "ready" when all is in place, then
// waits to be killed.
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <vector>

namespace store
{

struct Buffer {
    char bytes[200];
};

struct Session {
    long id;
    std::unique_ptr<Buffer> buffer;
};

struct Registry {
    std::vector<Session *> sessions;
};

Registry g_registry;

__attribute__((noipa)) Buffer *make_buffer()
{
    Buffer *b = new Buffer();
    b->bytes[0] = 1;
    return b;
}

__attribute__((noipa)) Session *make_session(long id)
{
    Session *s = new Session();
    s->id = id;
    s->buffer.reset(make_buffer());
    return s;
}

// Forgets a session without deleting it.
__attribute__((noipa)) void drop_session()
{
    Session *volatile s = make_session(-1);
    (void)s;
}

} // namespace store

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    // First, so that the calls after it leave no copy of its pointers in a
    // register.
    store::drop_session();
    store::g_registry.sessions.reserve(8);
    for (long i = 0; i < 6; i++)
        store::g_registry.sessions.push_back(store::make_session(i));
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "ready\n", 6) != 6)
        return 1;
    close(fd);
    for (;;)
        pause();
}
