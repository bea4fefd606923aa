/*
 * nodedevd/uevent_msg.c: the kernel's uevent messages as the netlink
 * socket delivers them (what the kernel sends for a veth, a PCI bind, a
 * rename), and hostile or truncated ones: every prefix of a good message,
 * every single-byte change of it, unterminated and empty fields, header and
 * fields that disagree, paths that climb out of /sys, sizes at the limits.
 * Each message is copied into a buffer of exactly its length, so a read
 * past the end is an AddressSanitizer error, not luck.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uevent_msg.h"

/* A message from "a\0b\0" notation: LEN bytes including the last NUL. */
#define MSG(s) s, sizeof(s) - 1

static const char veth_add[] = "add@/devices/virtual/net/veth0\0"
    "ACTION=add\0DEVPATH=/devices/virtual/net/veth0\0SUBSYSTEM=net\0INTERFACE=veth0\0"
    "IFINDEX=5\0SEQNUM=4242\0";

/* Parses a malloc'ed copy of exactly LEN bytes (ASan sees any overread). */
static int parse(const char *buf, size_t len, struct nodedev_uevent *ev)
{
    char *copy = malloc(len ? len : 1);
    int r;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, buf, len);
    r = nodedev_uevent_parse(copy, len, ev);
    /* the strings point into the copy: check them before it goes */
    if (r == 0) {
        ck_assert(ev->devpath >= copy && ev->devpath < copy + len);
        ck_assert(ev->devpath + strlen(ev->devpath) < copy + len);
        if (ev->subsystem)
            ck_assert(ev->subsystem > copy && ev->subsystem + strlen(ev->subsystem) < copy + len);
        if (ev->devpath_old)
            ck_assert(ev->devpath_old > copy && ev->devpath_old + strlen(ev->devpath_old) < copy + len);
    }
    free(copy);
    return r;
}

START_TEST(test_kernel_messages)
{
    struct nodedev_uevent ev;
    char *copy = malloc(sizeof(veth_add) - 1);

    /* kept alive here to compare the strings */
    memcpy(copy, veth_add, sizeof(veth_add) - 1);
    ck_assert_int_eq(nodedev_uevent_parse(copy, sizeof(veth_add) - 1, &ev), 0);
    ck_assert_int_eq(ev.action, NODEDEV_UEVENT_ADD);
    ck_assert_str_eq(ev.devpath, "/devices/virtual/net/veth0");
    ck_assert_str_eq(ev.subsystem, "net");
    ck_assert(ev.seqnum == 4242);
    ck_assert_ptr_null(ev.devpath_old);
    free(copy);

    /* the actions the kernel sends */
    static const struct { const char *msg; size_t len; enum nodedev_uevent_action a; } acts[] = {
        { MSG("remove@/devices/virtual/net/veth0\0ACTION=remove\0DEVPATH=/devices/virtual/net/veth0\0SUBSYSTEM=net\0"),
          NODEDEV_UEVENT_REMOVE },
        { MSG("change@/devices/virtual/block/loop0\0ACTION=change\0DEVPATH=/devices/virtual/block/loop0\0"
              "SUBSYSTEM=block\0DISK_MEDIA_CHANGE=1\0"), NODEDEV_UEVENT_CHANGE },
        { MSG("bind@/devices/pci0000:00/0000:00:03.0\0ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
              "SUBSYSTEM=pci\0DRIVER=virtio-pci\0PCI_SLOT_NAME=0000:00:03.0\0SEQNUM=7\0"), NODEDEV_UEVENT_BIND },
        { MSG("unbind@/devices/pci0000:00/0000:00:03.0\0ACTION=unbind\0DEVPATH=/devices/pci0000:00/0000:00:03.0\0"
              "SUBSYSTEM=pci\0"), NODEDEV_UEVENT_UNBIND },
        { MSG("online@/devices/system/cpu/cpu1\0ACTION=online\0DEVPATH=/devices/system/cpu/cpu1\0SUBSYSTEM=cpu\0"),
          NODEDEV_UEVENT_ONLINE },
        { MSG("offline@/devices/system/memory/memory8\0ACTION=offline\0DEVPATH=/devices/system/memory/memory8\0"),
          NODEDEV_UEVENT_OFFLINE },
        /* only the header: fields are optional */
        { MSG("add@/devices/virtual/net/v\0"), NODEDEV_UEVENT_ADD },
        /* a value may hold '=' and may be empty; unknown keys are skipped */
        { MSG("add@/devices/x\0FOO=a=b\0BAR=\0SUBSYSTEM=\0"), NODEDEV_UEVENT_ADD },
        /* a module's uevent parses; uevent.c skips paths outside /devices */
        { MSG("add@/module/veth\0ACTION=add\0DEVPATH=/module/veth\0SUBSYSTEM=module\0"), NODEDEV_UEVENT_ADD },
    };
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
        ck_assert_msg(parse(acts[i].msg, acts[i].len, &ev) == 0, "message %zu: %s", i, acts[i].msg);
        ck_assert_int_eq(ev.action, acts[i].a);
    }
    /* an empty SUBSYSTEM= is no subsystem */
    ck_assert_int_eq(parse(MSG("add@/devices/x\0SUBSYSTEM=\0"), &ev), 0);
    ck_assert_ptr_null(ev.subsystem);
    ck_assert(ev.seqnum == 0);
}
END_TEST

START_TEST(test_move)
{
    static const char mv[] = "move@/devices/virtual/net/eth9\0ACTION=move\0DEVPATH=/devices/virtual/net/eth9\0"
                             "SUBSYSTEM=net\0DEVPATH_OLD=/devices/virtual/net/veth0\0INTERFACE=eth9\0";
    char *copy = malloc(sizeof(mv) - 1);
    struct nodedev_uevent ev;

    memcpy(copy, mv, sizeof(mv) - 1);
    ck_assert_int_eq(nodedev_uevent_parse(copy, sizeof(mv) - 1, &ev), 0);
    ck_assert_int_eq(ev.action, NODEDEV_UEVENT_MOVE);
    ck_assert_str_eq(ev.devpath, "/devices/virtual/net/eth9");
    ck_assert_str_eq(ev.devpath_old, "/devices/virtual/net/veth0");
    free(copy);
    /* a move without (or with an unsafe) DEVPATH_OLD says nothing usable */
    ck_assert_int_eq(parse(MSG("move@/devices/virtual/net/eth9\0ACTION=move\0"), &ev), -EBADMSG);
    ck_assert_int_eq(parse(MSG("move@/devices/a\0DEVPATH_OLD=../../etc\0"), &ev), -EBADMSG);
    ck_assert_int_eq(parse(MSG("move@/devices/a\0DEVPATH_OLD=\0"), &ev), -EBADMSG);
    /* DEVPATH_OLD on another action is not used */
    ck_assert_int_eq(parse(MSG("add@/devices/a\0DEVPATH_OLD=/devices/b\0"), &ev), 0);
    ck_assert_ptr_null(ev.devpath_old);
}
END_TEST

START_TEST(test_malformed)
{
    static const struct { const char *msg; size_t len; int err; } bad[] = {
        { "", 0, -EBADMSG },
        { MSG("\0"), -EBADMSG },
        { "add@/devices/x", 14, -EBADMSG },                         /* header not terminated */
        { MSG("add/devices/x\0"), -EBADMSG },                       /* no '@' */
        { MSG("@/devices/x\0"), -EBADMSG },                         /* no action */
        { MSG("add@\0"), -EBADMSG },                                /* no path */
        { MSG("add@/\0"), -EBADMSG },
        { MSG("add@devices/x\0"), -EBADMSG },                       /* relative */
        { MSG("add@/devices/../../etc\0"), -EBADMSG },              /* climbs out */
        { MSG("add@/devices/..\0"), -EBADMSG },
        { MSG("add@/devices/./x\0"), -EBADMSG },
        { MSG("add@/devices//x\0"), -EBADMSG },
        { MSG("add@/devices/x/\0"), -EBADMSG },
        { MSG("add@/devices/x\ny\0"), -EBADMSG },                   /* control character */
        { MSG("add@/devices/x\x7fy\0"), -EBADMSG },
        { "add@/devices/x\0SUBSYSTEM=net", 28, -EBADMSG },         /* last field not terminated */
        { MSG("add@/devices/x\0\0"), -EBADMSG },                    /* empty field */
        { MSG("add@/devices/x\0SUBSYSTEM=net\0\0"), -EBADMSG },
        { MSG("add@/devices/x\0NOEQUALS\0"), -EBADMSG },
        { MSG("add@/devices/x\0=value\0"), -EBADMSG },
        { MSG("add@/devices/x\0ACTION=remove\0"), -EBADMSG },       /* disagrees with the header */
        { MSG("add@/devices/x\0ACTION=ad\0"), -EBADMSG },
        { MSG("add@/devices/x\0ACTION=addd\0"), -EBADMSG },
        { MSG("add@/devices/x\0DEVPATH=/devices/y\0"), -EBADMSG },
        { MSG("add@/devices/x\0DEVPATH=/devices/x/\0"), -EBADMSG },
        { MSG("add@/devices/x\0SUBSYSTEM=a\0SUBSYSTEM=b\0"), -EBADMSG },  /* repeated key */
        { MSG("add@/devices/x\0ACTION=add\0ACTION=add\0"), -EBADMSG },
        { MSG("add@/devices/x\0SEQNUM=\0"), -EBADMSG },
        { MSG("add@/devices/x\0SEQNUM=-1\0"), -EBADMSG },
        { MSG("add@/devices/x\0SEQNUM=12a\0"), -EBADMSG },
        { MSG("add@/devices/x\0SEQNUM=18446744073709551616\0"), -EBADMSG },   /* 2^64 */
        { MSG("libudev\0\xfe\xed\xca\xfe"), -EPROTO },              /* udev's monitor format */
        { MSG("frobnicate@/devices/x\0"), -EOPNOTSUPP },
        { MSG("ADD@/devices/x\0"), -EOPNOTSUPP },
        { MSG("add @/devices/x\0"), -EOPNOTSUPP },
    };
    struct nodedev_uevent ev = { .devpath = "untouched" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(bad[i].msg, bad[i].len, &ev) == bad[i].err, "message %zu (%.*s): expected %d",
                      i, (int)bad[i].len, bad[i].msg, bad[i].err);
        ck_assert_str_eq(ev.devpath, "untouched");     /* OUT untouched on failure */
    }
    /* the largest SEQNUM parses */
    ck_assert_int_eq(parse(MSG("add@/devices/x\0SEQNUM=18446744073709551615\0"), &ev), 0);
    ck_assert(ev.seqnum == UINT64_MAX);
}
END_TEST

/* Every proper prefix of a good message is refused or parses (a prefix that
 * ends after a field's NUL is a shorter good message); none is read past. */
START_TEST(test_truncated)
{
    struct nodedev_uevent ev;
    size_t len = sizeof(veth_add) - 1;

    for (size_t n = 0; n < len; n++) {
        int r = parse(veth_add, n, &ev);

        if (n > 0 && veth_add[n - 1] == '\0' && n > strlen(veth_add))
            ck_assert_msg(r == 0, "prefix of %zu bytes (ends with a field): %d", n, r);
        else
            ck_assert_msg(r == -EBADMSG, "prefix of %zu bytes: %d", n, r);
    }
}
END_TEST

/* Every byte of a good message set to each of a few hostile values: the
 * parser answers (0 or an error) and never reads outside the buffer. */
START_TEST(test_mutations)
{
    static const unsigned char values[] = { 0, '@', '=', '/', '.', '\n', 0x7f, 0xff, 'A' };
    size_t len = sizeof(veth_add) - 1;
    char *buf = malloc(len);
    size_t ok = 0;

    for (size_t i = 0; i < len; i++) {
        for (size_t v = 0; v < sizeof(values); v++) {
            struct nodedev_uevent ev;
            int r;

            memcpy(buf, veth_add, len);
            buf[i] = (char)values[v];
            r = nodedev_uevent_parse(buf, len, &ev);
            ck_assert(r == 0 || r == -EBADMSG || r == -EOPNOTSUPP || r == -EPROTO);
            if (r == 0) {
                ok++;
                ck_assert(nodedev_uevent_devpath_ok(ev.devpath, strlen(ev.devpath)));
            }
        }
    }
    ck_assert(ok > 0);      /* some changes (in a value we skip) are harmless */
    free(buf);
}
END_TEST

START_TEST(test_limits)
{
    size_t max = NODEDEV_UEVENT_DEVPATH_MAX;
    /* "add@" + path + NUL, path "/" then 'a's */
    char *msg = malloc(4 + max + 2);
    struct nodedev_uevent ev;

    memcpy(msg, "add@/", 5);
    memset(msg + 5, 'a', max - 1);
    msg[4 + max] = '\0';
    ck_assert_int_eq(parse(msg, 4 + max + 1, &ev), 0);      /* a path of exactly the maximum */
    ck_assert_uint_eq(strlen(msg + 4), max);
    msg[4 + max] = 'a';
    msg[4 + max + 1] = '\0';
    ck_assert_int_eq(parse(msg, 4 + max + 2, &ev), -EBADMSG);   /* one byte more */
    free(msg);

    /* one field filling the message to the maximum, then one byte more */
    char *big = malloc(NODEDEV_UEVENT_MSG_MAX + 1);
    memcpy(big, "add@/devices/x\0A=", 17);
    memset(big + 17, 'b', NODEDEV_UEVENT_MSG_MAX + 1 - 17);
    big[NODEDEV_UEVENT_MSG_MAX - 1] = '\0';
    ck_assert_int_eq(parse(big, NODEDEV_UEVENT_MSG_MAX, &ev), 0);
    big[NODEDEV_UEVENT_MSG_MAX - 1] = 'b';
    big[NODEDEV_UEVENT_MSG_MAX] = '\0';
    ck_assert_int_eq(parse(big, NODEDEV_UEVENT_MSG_MAX + 1, &ev), -EBADMSG);
    free(big);
}
END_TEST

START_TEST(test_devpath_ok)
{
    ck_assert(nodedev_uevent_devpath_ok("/devices/pci0000:00/0000:00:1f.2", 32));
    ck_assert(nodedev_uevent_devpath_ok("/devices/a b", 12));       /* kobject names may hold spaces */
    ck_assert(nodedev_uevent_devpath_ok("/devices/...", 12));       /* "..." is a name */
    ck_assert(nodedev_uevent_devpath_ok("/devices/..x", 12));
    ck_assert(!nodedev_uevent_devpath_ok("/devices/x", 0));
    ck_assert(!nodedev_uevent_devpath_ok("/", 1));
    ck_assert(!nodedev_uevent_devpath_ok("/..", 3));
    /* the length given counts, not a NUL: "/devices/.." cut to "/devices/." */
    ck_assert(!nodedev_uevent_devpath_ok("/devices/..", 10));
    ck_assert(nodedev_uevent_devpath_ok("/devices/ab/..", 11));
    ck_assert_str_eq(nodedev_uevent_action_name(NODEDEV_UEVENT_UNBIND), "unbind");
    ck_assert_ptr_null(nodedev_uevent_action_name((enum nodedev_uevent_action)99));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_uevent");
    TCase *tc = tcase_create("parse");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_kernel_messages);
    tcase_add_test(tc, test_move);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_mutations);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_devpath_ok);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
