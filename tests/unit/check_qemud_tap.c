/*
 * Tap devices for bridge interfaces (qemud/tap.c, common/netlink.c) against
 * the real kernel.
 *
 * Each test runs in a forked child that first moves into a new network
 * namespace (and a private mount namespace with its own sysfs, because a
 * sysfs mount shows the network namespace it was mounted in), then creates
 * the bridge mvbr0 with MTU 1400 through libnl.  The host's links are never
 * touched, and the namespace with every tap in it vanishes with the child.
 * The results are read back through sysfs and if_nametoindex(), not through
 * the libnl calls under test.  Without root (or /dev/net/tun) only the name
 * checks run.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "cleanup.h"
#include "testns.h"
#include "tap.h"

#define BRIDGE "mvbr0"
#define BRIDGE_MTU 1400     /* not the tap's default 1500: shows the tap took it */

static const unsigned char guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

MV_DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
MV_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)

/* ---- the namespace ------------------------------------------------------ */

static int add_bridge(const char *name, unsigned mtu)
{
    _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
    _cleanup_(rtnl_link_putp) struct rtnl_link *br = rtnl_link_bridge_alloc();

    if (!sk || !br || nl_connect(sk, NETLINK_ROUTE) < 0)
        return -1;
    rtnl_link_set_name(br, name);
    rtnl_link_set_mtu(br, mtu);
    rtnl_link_set_flags(br, IFF_UP);
    return rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL) < 0 ? -1 : 0;
}

static void setup(void)
{
    int r = mv_test_enter_netns();

    ck_assert_msg(r == 0, "cannot enter new network and mount namespaces: %s", strerror(-r));
    ck_assert_int_eq(add_bridge(BRIDGE, BRIDGE_MTU), 0);
}

/* ---- reading the kernel's view ---------------------------------------- */

/* /sys/class/net/IFNAME/ATTR without the newline, or NULL if it is missing. */
static char *sysfs_attr(const char *ifname, const char *attr)
{
    char path[PATH_MAX], buf[256];
    _cleanup_fclose_ FILE *f = NULL;

    snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
    f = fopen(path, "re");
    if (!f || !fgets(buf, sizeof(buf), f))
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

static void assert_attr(const char *ifname, const char *attr, const char *expected)
{
    _cleanup_free_ char *v = sysfs_attr(ifname, attr);

    ck_assert_msg(v != NULL, "%s has no %s", ifname, attr);
    ck_assert_msg(strcmp(v, expected) == 0, "%s/%s is '%s', expected '%s'", ifname, attr, v, expected);
}

static bool link_exists(const char *ifname)
{
    return if_nametoindex(ifname) != 0;
}

/* The bridge IFNAME is a port of, from its "master" symlink (malloc'd); ""
 * if it has none. */
static char *master_of(const char *ifname)
{
    char path[PATH_MAX], target[PATH_MAX];
    ssize_t n;
    const char *slash;

    snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifname);
    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0)
        return strdup("");
    target[n] = '\0';
    slash = strrchr(target, '/');
    return strdup(slash ? slash + 1 : target);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Waits up to 2 s for IFNAME to disappear. */
static bool link_gone(const char *ifname)
{
    for (int i = 0; i < 200; i++) {
        if (!link_exists(ifname))
            return true;
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    return false;
}

/* A tap as mv_tap_create() must leave it: ours, a port of BRIDGE, up, with
 * the guest's MAC behind 0xfe and the bridge's MTU. */
static void assert_tap_ready(const char *ifname)
{
    _cleanup_free_ char *master = NULL;
    _cleanup_free_ char *flags = NULL;

    ck_assert_msg(link_exists(ifname), "tap %s does not exist", ifname);
    /* IFF_TAP | IFF_NO_PI | IFF_VNET_HDR */
    assert_attr(ifname, "tun_flags", "0x5002");
    master = master_of(ifname);
    ck_assert_str_eq(master, BRIDGE);
    assert_attr(ifname, "address", "fe:54:00:12:34:56");
    assert_attr(ifname, "mtu", "1400");
    flags = sysfs_attr(ifname, "flags");
    ck_assert_ptr_nonnull(flags);
    ck_assert_msg(strtoul(flags, NULL, 16) & IFF_UP, "tap %s is not up (flags %s)", ifname, flags);
}

/* the ifindex mv_tap_create() reported for the last tap create() made */
static int created_ifindex;

static int create(const char *template, const char *bridge, char **ifname, char **err)
{
    created_ifindex = -1;
    return mv_tap_create(template, guest_mac, bridge, ifname, &created_ifindex, err);
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_create)
{
    _cleanup_free_ char *ifname = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_close_ int fd = create("vnet%d", BRIDGE, &ifname, &err);

    ck_assert_msg(fd >= 0, "mv_tap_create: %s (%s)", strerror(-fd), err ? err : "no message");
    ck_assert_ptr_null(err);
    ck_assert_str_eq(ifname, "vnet0");
    ck_assert_int_eq(created_ifindex, (int)if_nametoindex("vnet0"));
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    assert_tap_ready(ifname);
    /* joining did not lower or raise the bridge */
    assert_attr(BRIDGE, "mtu", "1400");
}
END_TEST

START_TEST(test_close_removes)
{
    _cleanup_free_ char *ifname = NULL;
    _cleanup_free_ char *err = NULL;
    int fd = create("vnet%d", BRIDGE, &ifname, &err);
    char links[256];

    ck_assert_int_ge(fd, 0);
    ck_assert(link_exists(ifname));
    ck_assert_int_eq(close(fd), 0);
    ck_assert_msg(link_gone(ifname), "tap %s still exists after its fd was closed", ifname);
    mv_test_list_links(links, sizeof(links));
    ck_assert_str_eq(links, "lo " BRIDGE);
}
END_TEST

START_TEST(test_missing_bridge)
{
    char *ifname = (char *)"untouched";
    _cleanup_free_ char *err = NULL;
    int fds = count_fds();
    int r = create("vnet%d", "nosuchbr0", &ifname, &err);
    char links[256];

    ck_assert_int_eq(r, -ENODEV);
    ck_assert_str_eq(err, "cannot attach tap 'vnet0' to bridge 'nosuchbr0': No such device");
    ck_assert_str_eq(ifname, "untouched");
    ck_assert_int_eq(count_fds(), fds);
    ck_assert_msg(link_gone("vnet0"), "the tap was left behind");
    mv_test_list_links(links, sizeof(links));
    ck_assert_str_eq(links, "lo " BRIDGE);
}
END_TEST

START_TEST(test_not_a_bridge)
{
    char *ifname = NULL;
    _cleanup_free_ char *err = NULL;
    int r = create("vnet%d", "lo", &ifname, &err);
    char links[256];

    ck_assert_int_eq(r, -EINVAL);
    ck_assert_str_eq(err, "cannot attach tap 'vnet0' to 'lo': it is not a bridge");
    ck_assert_ptr_null(ifname);
    ck_assert(link_gone("vnet0"));
    mv_test_list_links(links, sizeof(links));
    ck_assert_str_eq(links, "lo " BRIDGE);
}
END_TEST

START_TEST(test_two_taps)
{
    _cleanup_free_ char *a = NULL, *b = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_close_ int fa = create("vnet%d", BRIDGE, &a, &err);
    _cleanup_close_ int fb = create("vnet%d", BRIDGE, &b, &err);

    ck_assert_int_ge(fa, 0);
    ck_assert_int_ge(fb, 0);
    ck_assert_str_ne(a, b);
    assert_tap_ready(a);
    assert_tap_ready(b);
}
END_TEST

START_TEST(test_exact_name)
{
    _cleanup_free_ char *ifname = NULL;
    _cleanup_free_ char *err = NULL;
    char *again = NULL;
    _cleanup_close_ int fd = create("mvtap-15-bytes!", BRIDGE, &ifname, &err);
    int r;

    ck_assert_msg(fd >= 0, "mv_tap_create: %s", err ? err : "no message");
    ck_assert_str_eq(ifname, "mvtap-15-bytes!");
    assert_tap_ready(ifname);

    /* an existing tap is refused, not taken over, and stays as it was */
    r = create("mvtap-15-bytes!", BRIDGE, &again, &err);
    ck_assert_int_eq(r, -EBUSY);
    ck_assert_str_eq(err, "cannot create tap 'mvtap-15-bytes!' for bridge 'mvbr0': Device or resource busy");
    ck_assert_ptr_null(again);
    assert_tap_ready(ifname);

    /* so is any other link of that name: the bridge itself */
    free(err);
    err = NULL;
    r = create(BRIDGE, BRIDGE, &again, &err);
    ck_assert_int_eq(r, -EBUSY);
    ck_assert_ptr_null(again);
    assert_attr(BRIDGE, "mtu", "1400");
    ck_assert_ptr_null(sysfs_attr(BRIDGE, "tun_flags"));
}
END_TEST

START_TEST(test_delete)
{
    _cleanup_free_ char *ifname = NULL, *other = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_close_ int fd = create("vnet%d", BRIDGE, &ifname, &err);
    _cleanup_close_ int fd2 = -1;
    int index = created_ifindex;

    ck_assert_int_ge(fd, 0);
    /* an index not known (an older status file) deletes nothing */
    ck_assert_int_eq(mv_tap_delete(ifname, 0), 0);
    ck_assert(link_exists(ifname));
    /* deleted while QEMU (here: we) still holds the fd */
    ck_assert_int_eq(mv_tap_delete(ifname, index), 0);
    ck_assert(!link_exists(ifname));
    /* already gone */
    ck_assert_int_eq(mv_tap_delete(ifname, index), 0);
    ck_assert_int_eq(mv_tap_delete("nosuchtap", 999999), 0);
    /* an ifindex now carried by something else than a tap is left alone */
    ck_assert_int_eq(mv_tap_delete(BRIDGE, (int)if_nametoindex(BRIDGE)), -EINVAL);
    ck_assert(link_exists(BRIDGE));
    ck_assert_int_eq(mv_tap_delete("lo", (int)if_nametoindex("lo")), -EINVAL);
    /* so is a tap under another name than the one recorded */
    fd2 = create("vnet%d", BRIDGE, &other, &err);
    ck_assert_int_ge(fd2, 0);
    ck_assert_int_eq(mv_tap_delete("vnet9", created_ifindex), -EINVAL);
    ck_assert(link_exists(other));
    ck_assert_int_eq(mv_tap_delete("../" BRIDGE, 1), -EINVAL);
    ck_assert_int_eq(mv_tap_delete("", 1), -EINVAL);
    ck_assert_int_eq(mv_tap_delete(NULL, 1), -EINVAL);
}
END_TEST

/* Guest A's QEMU exits (its tap vnet0 goes with it) and guest B's start
 * takes the name vnet0 before A's cleanup runs: removing A's tap must not
 * remove B's.  (Removal by name, as before, deleted B's tap here.) */
START_TEST(test_delete_reused_name)
{
    _cleanup_free_ char *a = NULL, *b = NULL, *master = NULL;
    _cleanup_free_ char *err = NULL;
    int fa = create("vnet%d", BRIDGE, &a, &err), index_a = created_ifindex;
    _cleanup_close_ int fb = -1;

    ck_assert_int_ge(fa, 0);
    ck_assert_int_eq(index_a, (int)if_nametoindex(a));
    ck_assert_int_eq(close(fa), 0);
    ck_assert_msg(link_gone(a), "tap %s still exists after its fd was closed", a);
    fb = create("vnet%d", BRIDGE, &b, &err);
    ck_assert_int_ge(fb, 0);
    ck_assert_str_eq(b, a);
    ck_assert_int_ne(created_ifindex, index_a);

    ck_assert_int_eq(mv_tap_delete(a, index_a), 0);
    ck_assert_msg(link_exists(b), "removing the gone tap %s (ifindex %d) removed the new one", a, index_a);
    ck_assert_int_eq((int)if_nametoindex(b), created_ifindex);
    /* still B's port (not assert_tap_ready: the bridge's MTU went back to
     * 1500 when A, its only port, left) */
    master = master_of(b);
    ck_assert_str_eq(master, BRIDGE);
}
END_TEST

/* Refused before any system call: runs with and without privileges. */
/* A running guest's tap put back on its bridge after the bridge was made
 * anew (a network restarted while qemud was away); only our tap is touched. */
START_TEST(test_reattach)
{
    _cleanup_free_ char *ifname = NULL, *err = NULL, *master = NULL;
    _cleanup_close_ int fd = create("vnet%d", BRIDGE, &ifname, &err);
    int index = created_ifindex;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(mv_tap_reattach(ifname, index, BRIDGE, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(add_bridge("mvbr1", 1300), 0);
    ck_assert_int_eq(mv_tap_reattach(ifname, index, "mvbr1", &err), 1);
    master = master_of(ifname);
    ck_assert_str_eq(master, "mvbr1");
    assert_attr(ifname, "mtu", "1300");
    assert_attr("mvbr1", "mtu", "1300");
    ck_assert_int_eq(mv_tap_reattach(ifname, index, "mvbr1", &err), 0);
    /* a bridge that is gone, or no bridge at all */
    ck_assert_int_eq(mv_tap_reattach(ifname, index, "mvnobr", &err), -ENODEV);
    ck_assert_ptr_nonnull(strstr(err, "'mvnobr'"));
    free(TAKE_PTR(err));
    ck_assert_int_eq(mv_tap_reattach(ifname, index, "lo", &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a bridge"));
    free(TAKE_PTR(err));
    /* the index carries another link, or is not known */
    ck_assert_int_eq(mv_tap_reattach("vnet9", index, BRIDGE, &err), -EINVAL);
    free(TAKE_PTR(err));
    ck_assert_int_eq(mv_tap_reattach("lo", (int)if_nametoindex("lo"), BRIDGE, &err), -EINVAL);
    free(TAKE_PTR(err));
    ck_assert_int_eq(mv_tap_reattach(ifname, 0, BRIDGE, &err), -EINVAL);
    free(TAKE_PTR(master));
    master = master_of(ifname);
    ck_assert_str_eq(master, "mvbr1");
}
END_TEST

START_TEST(test_invalid_names)
{
    static const char *const templates[] = {
        "../vnet%d", "a/b", "", ".", "..", "vnet %d", "vnet:%d", "vnet\n%d",
        "0123456789abcdef",         /* 16 bytes: IFNAMSIZ with the NUL is 17 */
        "vnet%d%d", "vnet%s", "vnet%",
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(templates); i++) {
        char *ifname = (char *)"untouched";
        _cleanup_free_ char *err = NULL;

        ck_assert_msg(create(templates[i], BRIDGE, &ifname, &err) == -EINVAL,
                      "template '%s' was not refused", templates[i]);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strncmp(err, "invalid tap name template '", 27) == 0, "message: %s", err);
        ck_assert_str_eq(ifname, "untouched");
    }
}
END_TEST

START_TEST(test_invalid_name_messages)
{
    char *ifname = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(create("../vnet%d", BRIDGE, &ifname, &err), -EINVAL);
    ck_assert_str_eq(err, "invalid tap name template '../vnet%d': at most 15 bytes, no '/', ':' or spaces");
    free(err);
    err = NULL;
    ck_assert_int_eq(create("vnet%d", "bridge-name-too-long", &ifname, &err), -EINVAL);
    ck_assert_str_eq(err, "invalid bridge name 'bridge-name-too-long': at most 15 bytes, no '/', ':' or spaces");
    free(err);
    err = NULL;
    /* control characters are escaped, not written into logs */
    ck_assert_int_eq(create("vnet\033%d", BRIDGE, &ifname, &err), -EINVAL);
    ck_assert_str_eq(err, "invalid tap name template 'vnet\\x1b%d': at most 15 bytes, no '/', ':' or spaces");
    free(err);
    err = NULL;
    ck_assert_int_eq(create(NULL, BRIDGE, &ifname, &err), -EINVAL);
    ck_assert_int_eq(create("vnet%d", NULL, &ifname, NULL), -EINVAL);
    ck_assert_ptr_null(ifname);
}
END_TEST

/* Can this process make network namespaces and taps?  Tried in a child so a
 * failure leaves this process as it was. */
static int probe(void)
{
    int fd;

    if (mv_test_enter_netns() < 0)
        return -1;
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    return fd >= 0 && add_bridge(BRIDGE, BRIDGE_MTU) == 0 ? 0 : -1;
}

static Suite *tap_suite(bool root)
{
    Suite *s = suite_create("qemud_tap");
    TCase *tc;

    tc = tcase_create("names");
    if (root)   /* a broken check would otherwise create taps on the host */
        tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_invalid_names);
    tcase_add_test(tc, test_invalid_name_messages);
    suite_add_tcase(s, tc);
    if (!root)
        return s;

    tc = tcase_create("kernel");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_create);
    tcase_add_test(tc, test_close_removes);
    tcase_add_test(tc, test_missing_bridge);
    tcase_add_test(tc, test_not_a_bridge);
    tcase_add_test(tc, test_two_taps);
    tcase_add_test(tc, test_exact_name);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_delete_reused_name);
    tcase_add_test(tc, test_reattach);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bool root = mv_test_probe(probe);
    SRunner *sr;
    int n;

    if (!root)
        printf("# no network namespaces or /dev/net/tun here (needs root): only the name checks run\n");
    sr = srunner_create(tap_suite(root));
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
