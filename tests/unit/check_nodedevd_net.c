/*
 * The net capability on real links: each test runs in a network and mount
 * namespace of its own (a sysfs showing only its links), makes veth links
 * with ip(8) (this kernel has no dummy driver) and reads them as nodedevd does (sd-device, the
 * ethtool ioctl).  Without root the tests are skipped.
 *
 * What must hold: libvirt's name (net_IFNAME_MAC), the link state and a
 * speed only for a link that is up, a feature turned off or on with the
 * ethtool ioctl disappearing from or appearing in the XML, and a link of
 * another namespace (same name, other ifindex) showing no features.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "format.h"
#include "read.h"
#include "testns.h"

static void run(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "'%s' failed", cmd);
}

/* The XML nodedevd makes of network interface IFNAME. */
static char *net_xml(const char *ifname)
{
    _cleanup_(sd_device_unrefp) sd_device *d = NULL;
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;
    struct nodedev_read_ctx ctx = { 0 };
    char *xml = NULL;

    ck_assert_int_ge(sd_device_new_from_subsystem_sysname(&d, "net", ifname), 0);
    ck_assert_int_eq(nodedev_read(d, &ctx, &dev), 0);
    ck_assert_ptr_nonnull(dev);
    ck_assert_str_eq(dev->ifname, ifname);
    ck_assert_int_eq(nodedev_format(dev, &xml), 0);
    return xml;
}

static void ethtool_set(const char *ifname, uint32_t cmd, uint32_t value)
{
    struct ethtool_value v = { .cmd = cmd, .data = value };
    struct ifreq ifr = { 0 };
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_data = (void *)&v;
    ck_assert_msg(ioctl(fd, SIOCETHTOOL, &ifr) == 0, "ethtool %#x on %s: %m", cmd, ifname);
}

/* The kernel applies carrier changes from a work queue: wait (with a
 * deadline) until IFNAME's operstate says STATE. */
static void wait_operstate(const char *ifname, const char *state)
{
    char path[128], buf[32] = "";
    struct timespec start, now;

    snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        FILE *f = fopen(path, "re");
        if (f) {
            if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
            fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
        if (strcmp(buf, state) == 0)
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < 5, "%s is '%s', not '%s'", ifname, buf, state);
        usleep(10000);
    }
}

START_TEST(test_link_state_and_name)
{
    ck_assert_int_eq(mv_test_enter_netns(), 0);
    run("ip link add mvnd0 address 52:54:00:aa:bb:01 type veth peer name mvnd0p");
    run("ip link add mvve0 address 52:54:00:aa:bb:02 type veth peer name mvve1");
    run("ip link set mvve1 up && ip link set mvve0 up");
    /* up, but its peer is down: the driver still says 10000 Mb/s */
    run("ip link set mvnd0 up");
    wait_operstate("mvve0", "up");
    wait_operstate("mvnd0", "lowerlayerdown");

    _cleanup_free_ char *down = net_xml("mvnd0");
    ck_assert_ptr_nonnull(strstr(down, "<name>net_mvnd0_52_54_00_aa_bb_01</name>"));
    ck_assert_ptr_nonnull(strstr(down, "<path>/sys/devices/virtual/net/mvnd0</path>"));
    ck_assert_ptr_nonnull(strstr(down, "<interface>mvnd0</interface>"));
    ck_assert_ptr_nonnull(strstr(down, "<address>52:54:00:aa:bb:01</address>"));
    /* a link that is not up shows no speed */
    ck_assert_ptr_nonnull(strstr(down, "<link state='lowerlayerdown'/>"));
    ck_assert_ptr_nonnull(strstr(down, "<capability type='80203'/>"));

    /* veth says 10000 Mb/s once it is up */
    _cleanup_free_ char *up = net_xml("mvve0");
    ck_assert_ptr_nonnull(strstr(up, "<name>net_mvve0_52_54_00_aa_bb_02</name>"));
    ck_assert_ptr_nonnull(strstr(up, "<link speed='10000' state='up'/>"));
}
END_TEST

START_TEST(test_features_follow_ethtool)
{
    ck_assert_int_eq(mv_test_enter_netns(), 0);
    run("ip link add mvnd1 type veth peer name mvnd1p");

    ethtool_set("mvnd1", ETHTOOL_SGRO, 0);
    ethtool_set("mvnd1", ETHTOOL_SSG, 1);
    _cleanup_free_ char *off = net_xml("mvnd1");
    ck_assert_ptr_null(strstr(off, "<feature name='gro'/>"));
    ck_assert_ptr_nonnull(strstr(off, "<feature name='sg'/>"));

    ethtool_set("mvnd1", ETHTOOL_SGRO, 1);
    ethtool_set("mvnd1", ETHTOOL_SSG, 0);
    _cleanup_free_ char *on = net_xml("mvnd1");
    ck_assert_ptr_nonnull(strstr(on, "<feature name='gro'/>"));
    ck_assert_ptr_null(strstr(on, "<feature name='sg'/>"));
    /* libvirt's order: rx tx sg tso gso gro lro rxvlan txvlan ... */
    const char *tx = strstr(on, "<feature name='tx'/>"), *gro = strstr(on, "<feature name='gro'/>");
    ck_assert(!tx || tx < gro);
    ck_assert(gro < strstr(on, "<capability type='80203'/>"));
}
END_TEST

/* sysfs of another network namespace: the same name here is another link
 * (or none), whose features must not be shown as this one's. */
START_TEST(test_other_netns_no_features)
{
    ck_assert_int_eq(mv_test_enter_netns(), 0);
    /* mvnd2 gets ifindex 4 here, after lo and the mvx0 pair */
    run("ip link add mvx0 type veth peer name mvx0p");
    run("ip link add mvnd2 type veth peer name mvnd2p");
    _cleanup_free_ char *mine = net_xml("mvnd2");
    ck_assert_ptr_nonnull(strstr(mine, "<feature name="));

    /* a second netns keeps this sysfs mounted (a new mount namespace is
     * not asked for) and has an mvnd2 of its own (ifindex 2): the ioctl
     * would describe that one, not the mvnd2 sysfs shows */
    /* sysfs holds its netns only passively: without this fd the kernel
     * would tear the first one (and the mvnd2 sysfs shows) down meanwhile */
    _cleanup_close_ int first = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(first, 0);
    ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
    run("ip link add mvnd2 type veth peer name mvnd2p");
    _cleanup_free_ char *theirs = net_xml("mvnd2");
    ck_assert_ptr_null(strstr(theirs, "<feature name="));
    ck_assert_ptr_nonnull(strstr(theirs, "<link state='down'/>"));
}
END_TEST

static int probe_netns(void)
{
    return mv_test_enter_netns() == 0 && system("ip link add mvprobe type veth peer name mvprobep") == 0 ? 0 : -1;
}

int main(void)
{
    SRunner *sr;
    int n;

    if (!mv_test_probe(probe_netns)) {
        printf("1..0 # SKIP no network namespaces or ip(8) here (needs root)\n");
        return 0;
    }
    if (getenv("CK_FORK") && strcmp(getenv("CK_FORK"), "no") == 0) {
        printf("Bail out! these tests need CK_FORK=yes: each runs in its own namespace\n");
        return 1;
    }
    Suite *s = suite_create("nodedevd_net");
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, test_link_state_and_name);
    tcase_add_test(tc, test_features_follow_ethtool);
    tcase_add_test(tc, test_other_netns_no_features);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
