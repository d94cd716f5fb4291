/* tests/unit/test_http_parse.c: hook/http_parse -- every status the endpoint
 * can answer with, incomplete heads, query parameters, listen addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "http_parse.h"

static struct hook_http_request req;

static size_t parse(const char *s)
{
    return hook_http_parse(s, strlen(s), &req);
}

static void test_heap(void **state)
{
    (void)state;
    const char *s = "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\nUser-Agent: curl\r\n\r\n";
    assert_int_equal(parse(s), strlen(s));
    assert_int_equal(req.status, 200);
    assert_int_equal(req.route, HOOK_HTTP_ROUTE_HEAP);
    assert_int_equal(req.debug, 0);
    assert_int_equal(req.seconds, 0);
    assert_false(req.head);
}

static void test_query(void **state)
{
    (void)state;
    assert_true(parse("GET /debug/pprof/heap?debug=1 HTTP/1.0\n\n") > 0);
    assert_int_equal(req.status, 200);
    assert_int_equal(req.debug, 1);
    assert_true(parse("GET /debug/pprof/heap?gc=1&seconds=%33&x=y&seconds=9 HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 200);
    assert_int_equal(req.seconds, 3);
    assert_true(parse("GET /debug/pprof/heap?debug=x HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 400);
    assert_true(parse("GET /debug/pprof/heap?seconds=601 HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 400);
    assert_true(parse("GET /debug/pprof/heap?seconds=5&debug=1 HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 400);
    assert_string_equal(req.error, "seconds and debug params are incompatible");
    assert_true(parse("GET /debug/pprof/heap?debug=%4 HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 400);
    assert_true(parse("GET /debug/pprof/heap?debug HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 400);
}

static void test_index_and_404(void **state)
{
    (void)state;
    assert_true(parse("GET /debug/pprof/ HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.route, HOOK_HTTP_ROUTE_INDEX);
    assert_true(parse("GET /debug/pprof HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.route, HOOK_HTTP_ROUTE_INDEX);
    assert_true(parse("GET /debug/pprof/allocs?debug=1 HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.route, HOOK_HTTP_ROUTE_ALLOCS);
    assert_int_equal(req.debug, 1);
    assert_true(parse("GET /metrics HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.route, HOOK_HTTP_ROUTE_METRICS);
    assert_true(parse("GET /metricsx HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 404);
    assert_true(parse("GET /debug/pprof/heapx HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 404);
    assert_true(parse("GET / HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 404);
    assert_true(parse("POST /nothing HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 404);
}

static void test_methods(void **state)
{
    (void)state;
    assert_true(parse("HEAD /debug/pprof/heap HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 200);
    assert_true(req.head);
    assert_true(parse("POST /debug/pprof/heap HTTP/1.1\r\nContent-Length: 0\r\n\r\n") > 0);
    assert_int_equal(req.status, 405);
    assert_true(parse("get /debug/pprof/heap HTTP/1.1\r\n\r\n") > 0);
    assert_int_equal(req.status, 405);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "GET\r\n\r\n",
        " GET /debug/pprof/heap HTTP/1.1\r\n\r\n",
        "GET  /debug/pprof/heap HTTP/1.1\r\n\r\n",
        "GET debug/pprof/heap HTTP/1.1\r\n\r\n",
        "GET /debug/pprof/heap\r\n\r\n",
        "GET /debug/pprof/heap FTP/1.1\r\n\r\n",
        "GET /debug/pprof/heap HTTP/1.1\rX\n\r\n",
        "GET /debug/pprof/heap HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET /debug/pprof/heap HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET /debug/pprof/heap HTTP/1.1\r\nX: a\001b\r\n\r\n",
        "G\001T /debug/pprof/heap HTTP/1.1\r\n\r\n",
        "GET /debug/pprof/\x80 HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = parse(bad[i]);
        assert_int_equal(n, strlen(bad[i]));
        assert_int_equal(req.status, 400);
    }
    assert_true(parse("GET /debug/pprof/heap HTTP/2.0\r\n\r\n") > 0);
    assert_int_equal(req.status, 505);
}

static void test_incomplete_and_oversized(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("GET /debug/pprof/heap HTTP/1.1\r\n"), 0);
    assert_int_equal(parse("GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r"), 0);
    static char big[HOOK_HTTP_MAX_HEAD + 100];
    memset(big, 'A', sizeof(big));
    assert_int_equal(hook_http_parse(big, HOOK_HTTP_MAX_HEAD - 1, &req), 0);
    assert_int_equal(hook_http_parse(big, HOOK_HTTP_MAX_HEAD, &req), HOOK_HTTP_MAX_HEAD);
    assert_int_equal(req.status, 431);
    /* A long target: 414. */
    char line[4000] = "GET /debug/pprof/heap?";
    size_t l = strlen(line);
    memset(line + l, 'x', 3000);
    snprintf(line + l + 3000, sizeof(line) - l - 3000, " HTTP/1.1\r\n\r\n");
    assert_true(parse(line) > 0);
    assert_int_equal(req.status, 414);
    /* Too many headers: 431. */
    char many[8000] = "GET /debug/pprof/heap HTTP/1.1\r\n";
    size_t used = strlen(many);
    for (int i = 0; i < 101; i++)
        used += (size_t)snprintf(many + used, sizeof(many) - used, "A: b\r\n");
    snprintf(many + used, sizeof(many) - used, "\r\n");
    assert_true(parse(many) > 0);
    assert_int_equal(req.status, 431);
    /* Bytes after the head (pipelining, a body) are not consumed. */
    const char *two = "GET /debug/pprof/ HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
    assert_int_equal(parse(two), strlen("GET /debug/pprof/ HTTP/1.1\r\n\r\n"));
}

static void test_addr(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    bool lo;
    assert_int_equal(hook_http_parse_addr("127.0.0.1:6060", &ss, &len, &lo), 0);
    assert_true(lo);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 6060);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(hook_http_parse_addr("localhost:1", &ss, &len, &lo), 0);
    assert_true(lo);
    assert_int_equal(hook_http_parse_addr(":7070", &ss, &len, &lo), 0);
    assert_true(lo);
    assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
    assert_int_equal(hook_http_parse_addr("127.1.2.3:80", &ss, &len, &lo), 0);
    assert_true(lo);
    assert_int_equal(hook_http_parse_addr("0.0.0.0:6060", &ss, &len, &lo), 0);
    assert_false(lo);
    assert_int_equal(hook_http_parse_addr("10.1.2.3:6060", &ss, &len, &lo), 0);
    assert_false(lo);
    assert_int_equal(hook_http_parse_addr("[::1]:6060", &ss, &len, &lo), 0);
    assert_true(lo);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(hook_http_parse_addr("[::]:6060", &ss, &len, &lo), 0);
    assert_false(lo);
    const char *bad[] = {"",
                         "6060",
                         "127.0.0.1",
                         "127.0.0.1:",
                         "127.0.0.1:0",
                         "127.0.0.1:65536",
                         "127.0.0.1:60x",
                         "example.com:80",
                         "[::1:80",
                         "::1:80",
                         "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hook_http_parse_addr(bad[i], &ss, &len, &lo), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap),          cmocka_unit_test(test_query),
        cmocka_unit_test(test_index_and_404), cmocka_unit_test(test_methods),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_incomplete_and_oversized),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
