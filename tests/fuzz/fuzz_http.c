/* tests/fuzz/fuzz_http.c: libFuzzer target for hook/endpoint/http_parse.c, the
 * endpoint's request parser and listen-address parser (bytes from any local
 * client, and from the HEAPSNAP_HTTP variable). Checks the parser's contract:
 * the consumed length never exceeds the input, a status is always set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hook_http_request req;
    size_t used = hook_http_parse((const char *)data, size, &req);
    if (used > size)
        abort();
    if (used > 0 && (req.status < 200 || req.status > 599 || (req.status != 200 && !req.error)))
        abort();
    if (used == 0 && size >= HOOK_HTTP_MAX_HEAD)
        abort();

    char addr[128];
    size_t n = size < sizeof(addr) - 1 ? size : sizeof(addr) - 1;
    memcpy(addr, data, n);
    addr[n] = 0;
    struct sockaddr_storage ss;
    socklen_t len;
    bool loopback;
    if (hook_http_parse_addr(addr, &ss, &len, &loopback) == 0 && len > sizeof(ss))
        abort();
    return 0;
}
