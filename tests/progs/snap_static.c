/* tests/progs/snap_static.c: a statically linked process (no libc.so.6 mapped),
 * which heapsnap must refuse with one sentence. Usage: snap_static STATUSFILE */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "ready\n", 6) != 6)
        return 1;
    close(fd);
    for (;;)
        pause();
}
