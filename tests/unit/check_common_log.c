/*
 * Logging never waits for the log's reader: with stderr a pipe or a socket
 * nobody reads, thousands of lines return at once, the lost ones are
 * counted and reported once the output takes lines again, and each line
 * arrives whole.
 */
#define MV_LOG_MODULE "log"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define LINES 20000

/* Everything readable from FD now (FD is made non-blocking). */
static char *drain(int fd, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);

    ck_assert_ptr_nonnull(buf);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == cap)
            ck_assert_ptr_nonnull(buf = realloc(buf, (cap *= 2) + 1));
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* stderr is WFD, which nobody reads while LINES lines are logged: the test's
 * timeout catches a logger that blocks.  RFD is then drained and one more
 * line must carry the count of the dropped ones. */
static void flood_unread_output(int rfd, int wfd)
{
    char pad[200];
    size_t len;
    char *got;

    ck_assert_int_eq(dup2(wfd, STDERR_FILENO), STDERR_FILENO);
    close(wfd);
    mv_log_init("check_log");
    mv_log_set_level(MV_LOG_DEBUG);
    ck_assert_int_eq(mv_log_set_output("stderr"), 0);
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        mv_warn("line %d %s", i, pad);
    free(drain(rfd, &len));
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_lt(len, (size_t)LINES * sizeof(pad));    /* most were dropped, not queued */
    mv_warn("after the flood");
    got = drain(rfd, &len);
    ck_assert_msg(strstr(got, "after the flood [") && strstr(got, " earlier log lines dropped: "),
                  "no drop notice in '%s'", got);
    ck_assert_int_eq(got[len - 1], '\n');
    free(got);
}

START_TEST(test_full_pipe_does_not_block)
{
    int p[2];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    flood_unread_output(p[0], p[1]);
    close(p[0]);
}
END_TEST

START_TEST(test_full_socket_does_not_block)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    flood_unread_output(sv[0], sv[1]);
    close(sv[0]);
}
END_TEST

/* Lines that fit arrive whole and in order: nothing is dropped from a
 * reader that keeps up. */
START_TEST(test_lines_whole)
{
    int p[2];
    size_t len;
    char *got, *line, *save = NULL;
    int n = 0;

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
    close(p[1]);
    mv_log_init("check_log");
    ck_assert_int_eq(mv_log_set_output("stderr"), 0);
    for (int i = 0; i < 100; i++)
        mv_warn("whole %d", i);
    got = drain(p[0], &len);
    for (line = strtok_r(got, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        char want[64];
        snprintf(want, sizeof(want), ": warning: log: whole %d", n);
        ck_assert_msg(strstr(line, want), "line %d is '%s'", n, line);
    }
    ck_assert_int_eq(n, 100);
    free(got);
    close(p[0]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common_log");
    TCase *tc = tcase_create("output");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_full_pipe_does_not_block);
    tcase_add_test(tc, test_full_socket_does_not_block);
    tcase_add_test(tc, test_lines_whole);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
