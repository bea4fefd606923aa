/*
 * The packet codec against golden bytes (wire-protocol.md 1.7, computed with
 * an independent XDR encoder) and the incremental frame reader against the
 * framing rules of wire-protocol.md 1.2.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "rpc/error.h"
#include "keepalive_protocol.h"
#include "rpc/message.h"
#include "remote_protocol.h"

/* Packs big-endian 32-bit words into OUT; returns the byte count. */
static size_t words(const uint32_t *w, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[4 * i] = (unsigned char)(w[i] >> 24);
        out[4 * i + 1] = (unsigned char)(w[i] >> 16);
        out[4 * i + 2] = (unsigned char)(w[i] >> 8);
        out[4 * i + 3] = (unsigned char)w[i];
    }
    return 4 * n;
}

static const uint32_t golden_feature_call[] = {
    0x00000020, 0x20008086, 0x00000001, 0x0000003c, 0x00000000, 0x00000002, 0x00000000,
    0x0000000a,
};
static const uint32_t golden_feature_reply[] = {
    0x00000020, 0x20008086, 0x00000001, 0x0000003c, 0x00000001, 0x00000002, 0x00000000,
    0x00000001,
};
static const uint32_t golden_ping[] = {
    0x0000001c, 0x6b656570, 0x00000001, 0x00000001, 0x00000002, 0x00000000, 0x00000000,
};
static const uint32_t golden_connect_open[] = {
    0x00000038, 0x20008086, 0x00000001, 0x00000001, 0x00000000, 0x00000003, 0x00000000,
    0x00000001, 0x0000000e, 0x71656d75, 0x3a2f2f2f, 0x73797374, 0x656d0000, 0x00000000,
};
static const uint32_t golden_lookup_reply[] = {
    0x00000038, 0x20008086, 0x00000001, 0x00000017, 0x00000001, 0x00000005, 0x00000000,
    0x00000003, 0x766d3100, 0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f, 0xffffffff,
};

static struct mv_message_header hdr_of(unsigned int prog, int proc, int type, unsigned int serial)
{
    return (struct mv_message_header){
        .prog = prog, .vers = 1, .proc = proc, .type = type, .serial = serial, .status = MV_OK,
    };
}

/* Encodes and compares with GOLDEN word by word (a mismatch names the word). */
static void assert_encodes_to(const struct mv_message_header *hdr, xdrproc_t filter,
                              const void *data, const uint32_t *golden, size_t nwords)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    unsigned char want[256];
    size_t n = words(golden, nwords, want);

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(mv_msg_encode(m, hdr, filter, data), 0);
    ck_assert_uint_eq(m->len, n);
    for (size_t i = 0; i < n; i += 4)
        ck_assert_msg(memcmp(m->buf + i, want + i, 4) == 0, "word %zu differs", i / 4);
}

/* Runs GOLDEN through a frame reader in one piece and returns the packet. */
static struct mv_msg *frame_of(const uint32_t *golden, size_t nwords)
{
    struct mv_frame_reader r = { 0 };
    unsigned char bytes[256];
    size_t n = words(golden, nwords, bytes), done = 0;
    const char *why = NULL;
    int st = MV_FRAME_MORE;

    while (st == MV_FRAME_MORE) {
        void *ptr;
        size_t count;

        ck_assert_int_eq(mv_frame_reader_space(&r, &ptr, &count), 0);
        ck_assert_uint_le(done + count, n);
        memcpy(ptr, bytes + done, count);
        done += count;
        st = mv_frame_reader_advance(&r, count, &why);
    }
    ck_assert_int_eq(st, MV_FRAME_DONE);
    ck_assert_uint_eq(done, n);
    return mv_frame_reader_take(&r);
}

START_TEST(test_golden_supports_feature_call)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_CONNECT_SUPPORTS_FEATURE, MV_CALL, 2);
    mv_connect_supports_feature_args args = { .feature = 10 };

    assert_encodes_to(&h, (xdrproc_t)xdr_mv_connect_supports_feature_args, &args,
                      golden_feature_call, MV_ARRAY_SIZE(golden_feature_call));
}
END_TEST

START_TEST(test_golden_supports_feature_reply)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_CONNECT_SUPPORTS_FEATURE, MV_REPLY, 2);
    mv_connect_supports_feature_ret ret = { .supported = 1 }, got = { .supported = 7 };
    _cleanup_msg_ struct mv_msg *m = NULL;

    assert_encodes_to(&h, (xdrproc_t)xdr_mv_connect_supports_feature_ret, &ret,
                      golden_feature_reply, MV_ARRAY_SIZE(golden_feature_reply));
    m = frame_of(golden_feature_reply, MV_ARRAY_SIZE(golden_feature_reply));
    ck_assert_int_eq(m->hdr.type, MV_REPLY);
    ck_assert_uint_eq(m->hdr.serial, 2);
    ck_assert_int_eq(m->hdr.proc, 60);
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_connect_supports_feature_ret, &got), 0);
    ck_assert_int_eq(got.supported, 1);
}
END_TEST

START_TEST(test_golden_keepalive_ping)
{
    struct mv_message_header h = hdr_of(MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_PROC_PING, MV_MESSAGE, 0);
    _cleanup_msg_ struct mv_msg *m = NULL;

    assert_encodes_to(&h, NULL, NULL, golden_ping, MV_ARRAY_SIZE(golden_ping));
    m = frame_of(golden_ping, MV_ARRAY_SIZE(golden_ping));
    ck_assert_uint_eq(m->hdr.prog, 0x6b656570);
    ck_assert_int_eq(m->hdr.proc, 1);
    ck_assert_int_eq(m->hdr.type, MV_MESSAGE);
    ck_assert_uint_eq(m->len, m->payload_off);
}
END_TEST

START_TEST(test_golden_connect_open)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_CONNECT_OPEN, MV_CALL, 3);
    char *name = (char *)"qemu:///system";
    mv_connect_open_args args = { .name = &name, .flags = 0 }, got;
    _cleanup_msg_ struct mv_msg *m = NULL;

    assert_encodes_to(&h, (xdrproc_t)xdr_mv_connect_open_args, &args,
                      golden_connect_open, MV_ARRAY_SIZE(golden_connect_open));
    m = frame_of(golden_connect_open, MV_ARRAY_SIZE(golden_connect_open));
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_connect_open_args, &got), 0);
    ck_assert_ptr_nonnull(got.name);
    ck_assert_str_eq(*got.name, "qemu:///system");
    ck_assert_uint_eq(got.flags, 0);
    xdr_free((xdrproc_t)xdr_mv_connect_open_args, (char *)&got);
}
END_TEST

START_TEST(test_golden_lookup_by_name_reply)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_LOOKUP_BY_NAME, MV_REPLY, 5);
    mv_domain_lookup_by_name_ret ret = { .dom = { .name = (char *)"vm1", .id = -1 } }, got;
    _cleanup_msg_ struct mv_msg *m = NULL;

    for (int i = 0; i < 16; i++)
        ret.dom.uuid[i] = (char)i;
    assert_encodes_to(&h, (xdrproc_t)xdr_mv_domain_lookup_by_name_ret, &ret,
                      golden_lookup_reply, MV_ARRAY_SIZE(golden_lookup_reply));
    m = frame_of(golden_lookup_reply, MV_ARRAY_SIZE(golden_lookup_reply));
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_domain_lookup_by_name_ret, &got), 0);
    ck_assert_str_eq(got.dom.name, "vm1");
    ck_assert_int_eq(got.dom.id, -1);
    ck_assert_int_eq(memcmp(got.dom.uuid, ret.dom.uuid, 16), 0);
    xdr_free((xdrproc_t)xdr_mv_domain_lookup_by_name_ret, (char *)&got);
}
END_TEST

/* NODE_GET_INFO.model is char[32]: 4 bytes per char on the wire (1.1). */
START_TEST(test_node_info_model_is_widened)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_NODE_GET_INFO, MV_REPLY, 1);
    mv_node_get_info_ret ret = { .memory = 1, .cpus = 2 }, got;
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    const unsigned char *p;

    strcpy(ret.model, "x86_64");
    ck_assert_int_eq(mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_node_get_info_ret, &ret), 0);
    ck_assert_uint_eq(m->len, 28 + 32 * 4 + 8 + 6 * 4);
    p = (const unsigned char *)m->buf + 28;
    ck_assert_int_eq(p[0] | p[1] | p[2], 0);
    ck_assert_int_eq(p[3], 'x');
    ck_assert_int_eq(p[7], '8');
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_node_get_info_ret, &got), 0);
    ck_assert_str_eq(got.model, "x86_64");
    ck_assert_int_eq(got.cpus, 2);
}
END_TEST

START_TEST(test_error_body_roundtrip)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, MV_PROC_DOMAIN_LOOKUP_BY_NAME, MV_REPLY, 9);
    struct mv_err e = { 0 }, back = { 0 };
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    mv_error wire, got;

    h.status = MV_ERROR;
    mv_err_set(&e, MV_ERR_NO_DOMAIN, MV_FROM_QEMU, "Domain not found: no domain with matching name '%s'", "x");
    mv_err_to_wire(&e, &wire);
    ck_assert_int_eq(mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_error, &wire), 0);
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_error, &got), 0);
    ck_assert_int_eq(got.level, 2);
    ck_assert_int_eq(mv_err_from_wire(&back, &got), 0);
    ck_assert_int_eq(back.code, 42);
    ck_assert_int_eq(back.domain, 10);
    ck_assert_str_eq(back.message, "Domain not found: no domain with matching name 'x'");
    xdr_free((xdrproc_t)xdr_mv_error, (char *)&got);
    mv_err_clear(&e);
    mv_err_clear(&back);
}
END_TEST

START_TEST(test_payload_trailing_bytes_rejected)
{
    static const uint32_t w[] = {
        0x00000024, 0x20008086, 1, 60, 1, 2, 0, 1, 0xdeadbeef,
    };
    _cleanup_msg_ struct mv_msg *m = frame_of(w, MV_ARRAY_SIZE(w));
    mv_connect_supports_feature_ret got = { 0 };

    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_connect_supports_feature_ret, &got),
                     -EBADMSG);
}
END_TEST

START_TEST(test_string_over_bound_rejected)
{
    /* a lookup reply whose name claims MV_STRING_MAX + 1 bytes */
    static const uint32_t w[] = {
        0x00000020, 0x20008086, 1, 23, 1, 5, 0, 0x00400001,
    };
    _cleanup_msg_ struct mv_msg *m = frame_of(w, MV_ARRAY_SIZE(w));
    mv_domain_lookup_by_name_ret got;

    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_domain_lookup_by_name_ret, &got),
                     -EBADMSG);
    ck_assert_ptr_null(got.dom.name);
}
END_TEST

START_TEST(test_encode_raw_too_big)
{
    struct mv_message_header h = hdr_of(MV_REMOTE_PROGRAM, 1, MV_STREAM, 1);
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    static const char byte;

    /* the size is checked before the data is touched */
    ck_assert_int_eq(mv_msg_encode_raw(m, &h, &byte, (size_t)MV_MESSAGE_PAYLOAD_MAX + 1), -EMSGSIZE);
}
END_TEST

/* ---- frame reader ---- */

/* Feeds N bytes one at a time; returns the last status. */
static int feed_bytes(struct mv_frame_reader *r, const unsigned char *b, size_t n,
                      const char **why, size_t *fed)
{
    int st = MV_FRAME_MORE;

    for (*fed = 0; *fed < n && st == MV_FRAME_MORE; (*fed)++) {
        void *ptr;
        size_t count;

        ck_assert_int_eq(mv_frame_reader_space(r, &ptr, &count), 0);
        ck_assert_uint_ge(count, 1);
        memcpy(ptr, b + *fed, 1);
        st = mv_frame_reader_advance(r, 1, why);
    }
    return st;
}

START_TEST(test_reader_byte_by_byte)
{
    struct mv_frame_reader r = { 0 };
    unsigned char b[64];
    size_t n = words(golden_connect_open, MV_ARRAY_SIZE(golden_connect_open), b), fed;
    const char *why = NULL;
    _cleanup_msg_ struct mv_msg *m = NULL;
    mv_connect_open_args got;

    /* every byte but the last leaves the packet incomplete */
    ck_assert_int_eq(feed_bytes(&r, b, n - 1, &why, &fed), MV_FRAME_MORE);
    ck_assert_uint_eq(fed, n - 1);
    ck_assert_int_eq(feed_bytes(&r, b + n - 1, 1, &why, &fed), MV_FRAME_DONE);
    m = mv_frame_reader_take(&r);
    ck_assert_ptr_null(r.msg);
    ck_assert_uint_eq(m->len, n);
    ck_assert_uint_eq(m->hdr.serial, 3);
    ck_assert_int_eq(m->hdr.proc, MV_PROC_CONNECT_OPEN);
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(mv_msg_decode_payload(m, (xdrproc_t)xdr_mv_connect_open_args, &got), 0);
    ck_assert_str_eq(*got.name, "qemu:///system");
    xdr_free((xdrproc_t)xdr_mv_connect_open_args, (char *)&got);
}
END_TEST

/* The reader never asks for more than the current packet: two packets sent
 * back to back come out as two packets, with nothing swallowed. */
START_TEST(test_reader_stops_at_packet_end)
{
    int sv[2];
    unsigned char b[128];
    size_t n = words(golden_ping, MV_ARRAY_SIZE(golden_ping), b);
    struct mv_frame_reader r = { 0 };
    const char *why = NULL;
    struct mv_msg *m1 = NULL, *m2 = NULL;

    n += words(golden_feature_reply, MV_ARRAY_SIZE(golden_feature_reply), b + n);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], b, n), (ssize_t)n);
    ck_assert_int_eq(mv_frame_read(sv[0], &r, &m1, &why), 1);
    ck_assert_uint_eq(m1->hdr.prog, MV_KEEPALIVE_PROGRAM);
    ck_assert_uint_eq(m1->len, 28);
    ck_assert_int_eq(mv_frame_read(sv[0], &r, &m2, &why), 1);
    ck_assert_uint_eq(m2->hdr.prog, MV_REMOTE_PROGRAM);
    ck_assert_uint_eq(m2->len, 32);
    mv_msg_free(m1);
    mv_msg_free(m2);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_reader_truncated_frame)
{
    int sv[2];
    unsigned char b[64];
    size_t n = words(golden_connect_open, MV_ARRAY_SIZE(golden_connect_open), b);
    struct mv_frame_reader r = { 0 };
    const char *why = NULL;
    struct mv_msg *m = NULL;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], b, 20), 20);
    /* part of a packet: would block, nothing handed out */
    ck_assert_int_eq(mv_frame_read(sv[0], &r, &m, &why), 0);
    ck_assert_ptr_null(m);
    ck_assert_uint_eq(r.want, n);
    /* the peer goes away mid-packet */
    close(sv[1]);
    ck_assert_int_eq(mv_frame_read(sv[0], &r, &m, &why), -ECONNRESET);
    ck_assert_ptr_null(m);
    mv_frame_reader_reset(&r);
    close(sv[0]);
}
END_TEST

/* Length word LEN followed by a valid header; returns the advance status
 * after the length word. */
static int feed_length(struct mv_frame_reader *r, uint32_t len, const char **why)
{
    unsigned char b[4];
    size_t fed;

    words(&len, 1, b);
    return feed_bytes(r, b, 4, why, &fed);
}

START_TEST(test_reader_length_too_small)
{
    static const uint32_t bad[] = { 0, 3, 4, 27 };

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        struct mv_frame_reader r = { 0 };
        const char *why = NULL;

        ck_assert_int_eq(feed_length(&r, bad[i], &why), -EBADMSG);
        ck_assert_ptr_nonnull(why);
        ck_assert_msg(strstr(why, "smaller") != NULL, "why: %s", why);
        mv_frame_reader_reset(&r);
    }
}
END_TEST

START_TEST(test_reader_length_28_is_a_packet)
{
    static const uint32_t w[] = { 28, 0x20008086, 1, 2, 1, 7, 0 };
    _cleanup_msg_ struct mv_msg *m = frame_of(w, MV_ARRAY_SIZE(w));

    ck_assert_int_eq(m->hdr.proc, 2);
    ck_assert_uint_eq(m->hdr.serial, 7);
    ck_assert_uint_eq(m->payload_off, m->len);
}
END_TEST

START_TEST(test_reader_length_too_big)
{
    struct mv_frame_reader r = { 0 };
    const char *why = NULL;

    ck_assert_int_eq(feed_length(&r, 33554436u + 1, &why), -EBADMSG);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, "32 MiB") != NULL, "why: %s", why);
    mv_frame_reader_reset(&r);
    ck_assert_int_eq(feed_length(&r, 0xffffffffu, &why), -EBADMSG);
    mv_frame_reader_reset(&r);
}
END_TEST

/* The largest legal claim is accepted without allocating for it up front. */
START_TEST(test_reader_length_max_accepted_lazily)
{
    struct mv_frame_reader r = { 0 };
    const char *why = NULL;

    ck_assert_int_eq(feed_length(&r, 33554436u, &why), MV_FRAME_MORE);
    ck_assert_uint_eq(r.want, 33554436u);
    ck_assert_uint_le(r.msg->cap, 65536);
    mv_frame_reader_reset(&r);
}
END_TEST

/* The reader does not judge programs: a foreign one still yields a header
 * (the server answers it with "Cannot find program"). */
START_TEST(test_reader_wrong_program_decodes)
{
    static const uint32_t w[] = { 32, 0x12345678, 3, 99, 0, 11, 0, 42 };
    _cleanup_msg_ struct mv_msg *m = frame_of(w, MV_ARRAY_SIZE(w));

    ck_assert_uint_eq(m->hdr.prog, 0x12345678);
    ck_assert_uint_eq(m->hdr.vers, 3);
    ck_assert_int_eq(m->hdr.proc, 99);
    ck_assert_int_eq(m->hdr.type, MV_CALL);
    ck_assert_uint_eq(m->hdr.serial, 11);
    ck_assert_uint_eq(m->len - m->payload_off, 4);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("rpc_codec");
    TCase *golden = tcase_create("golden");
    TCase *reader = tcase_create("reader");

    tcase_add_test(golden, test_golden_supports_feature_call);
    tcase_add_test(golden, test_golden_supports_feature_reply);
    tcase_add_test(golden, test_golden_keepalive_ping);
    tcase_add_test(golden, test_golden_connect_open);
    tcase_add_test(golden, test_golden_lookup_by_name_reply);
    tcase_add_test(golden, test_node_info_model_is_widened);
    tcase_add_test(golden, test_error_body_roundtrip);
    tcase_add_test(golden, test_payload_trailing_bytes_rejected);
    tcase_add_test(golden, test_string_over_bound_rejected);
    tcase_add_test(golden, test_encode_raw_too_big);
    tcase_add_test(reader, test_reader_byte_by_byte);
    tcase_add_test(reader, test_reader_stops_at_packet_end);
    tcase_add_test(reader, test_reader_truncated_frame);
    tcase_add_test(reader, test_reader_length_too_small);
    tcase_add_test(reader, test_reader_length_28_is_a_packet);
    tcase_add_test(reader, test_reader_length_too_big);
    tcase_add_test(reader, test_reader_length_max_accepted_lazily);
    tcase_add_test(reader, test_reader_wrong_program_decodes);
    suite_add_tcase(s, golden);
    suite_add_tcase(s, reader);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
