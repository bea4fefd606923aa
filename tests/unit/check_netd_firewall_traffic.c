/*
 * netd's firewall rules with real traffic through the kernel.
 *
 * Each test builds, inside a forked child, three network namespaces:
 *
 *   guest    eth0 192.168.100.10/24, default route via .1
 *     | veth
 *   host     bridge mvbr0 192.168.100.1/24 (port vnet0), uplink up0
 *     | veth   10.0.0.1/24, ip_forward on
 *   outside  eth0 10.0.0.2/24, no route back to 192.168.100.0/24
 *
 * The test process stays in "host" (where mv_firewall_add() runs) and
 * keeps the other two as namespace file descriptors; it opens one UDP
 * socket in "guest" and one in "outside" (a socket belongs to the namespace
 * it was created in) and passes a datagram between them: the outside
 * records the source address it sees and answers it.  Nothing sleeps:
 * every wait is a poll() with a deadline, and a rejected datagram shows up
 * at once as ECONNREFUSED on the guest's connected socket.  Everything
 * vanishes with the child.  Without root the suite skips.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "firewall.h"
#include "testns.h"

#define PORT 7777
#define GUEST_ADDR "192.168.100.10"
#define UPLINK_ADDR "10.0.0.1"
#define OUTSIDE_ADDR "10.0.0.2"
/* generous for a loaded machine; only reached when a datagram is lost */
#define ARRIVE_MS 5000
/* how long "silently dropped" is watched for */
#define SILENCE_MS 1000

/* Docker's FORWARD, made as Docker makes it (see check_netd_firewall.c). */
static const char docker_rules[] =
    "set -e\n"
    "iptables-nft -N DOCKER-USER\n"
    "iptables-nft -A DOCKER-USER -j RETURN\n"
    "iptables-nft -P FORWARD DROP\n"
    "iptables-nft -A FORWARD -j DOCKER-USER\n"
    "iptables-nft -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
    "iptables-nft -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n";

static int host_ns = -1, guest_ns = -1, outside_ns = -1;

/* ---- namespaces ----------------------------------------------------------- */

/* A new network namespace, as an fd (inheritable: `ip ... netns
 * /proc/PID/fd/N` names it); the process stays where it was. */
static int new_ns(void)
{
    int fd;

    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "cannot create a network namespace");
    fd = open("/proc/self/ns/net", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(setns(host_ns, CLONE_NEWNET), 0);
    return fd;
}

/* Runs the shell command FMT in namespace NS. */
static void __attribute__((format(printf, 2, 3))) run_in(int ns, const char *fmt, ...)
{
    _cleanup_free_ char *cmd = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(r, 0);
    ck_assert_int_eq(setns(ns, CLONE_NEWNET), 0);
    r = system(cmd);
    ck_assert_int_eq(setns(host_ns, CLONE_NEWNET), 0);
    ck_assert_msg(r == 0, "failed: %s", cmd);
}

static void setup(void)
{
    pid_t me = getpid();

    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "cannot create a network namespace");
    host_ns = open("/proc/self/ns/net", O_RDONLY);
    ck_assert_int_ge(host_ns, 0);
    guest_ns = new_ns();
    outside_ns = new_ns();

    run_in(host_ns, "set -e; ip link set lo up\n"
                    "ip link add mvbr0 type bridge stp_state 0 forward_delay 0\n"
                    "ip addr add 192.168.100.1/24 dev mvbr0; ip link set mvbr0 up\n"
                    "ip link add vnet0 type veth peer name eth0 netns /proc/%1$d/fd/%2$d\n"
                    "ip link set vnet0 master mvbr0 up\n"
                    "ip link add up0 type veth peer name eth0 netns /proc/%1$d/fd/%3$d\n"
                    "ip addr add " UPLINK_ADDR "/24 dev up0; ip link set up0 up\n"
                    "echo 1 > /proc/sys/net/ipv4/ip_forward",
           (int)me, guest_ns, outside_ns);
    run_in(guest_ns, "set -e; ip link set lo up; ip addr add " GUEST_ADDR "/24 dev eth0\n"
                     "ip link set eth0 up; ip route add default via 192.168.100.1");
    run_in(outside_ns, "set -e; ip link set lo up; ip addr add " OUTSIDE_ADDR "/24 dev eth0\n"
                       "ip link set eth0 up");
}

/* ---- sockets --------------------------------------------------------------- */

static struct sockaddr_in sin_of(const char *addr, int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

    ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
    return sin;
}

/* A UDP socket in namespace NS bound to BIND_ADDR: at PORT if there is no
 * PEER, else at a fresh ephemeral port (a new conntrack entry each time, so
 * no earlier NAT mapping is reused) and connected to PEER:PORT. */
static int udp_in(int ns, const char *bind_addr, const char *peer)
{
    struct sockaddr_in local = sin_of(bind_addr, peer ? 0 : PORT), remote;
    int fd;

    ck_assert_int_eq(setns(ns, CLONE_NEWNET), 0);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_eq(setns(host_ns, CLONE_NEWNET), 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&local, sizeof(local)), 0);
    if (peer) {
        remote = sin_of(peer, PORT);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&remote, sizeof(remote)), 0);
    }
    return fd;
}

enum outcome { ARRIVED, REFUSED, SILENT };

/* Waits up to MS for the datagram SENDER sent: ARRIVED at RECEIVER (its
 * source in FROM), REFUSED (an ICMP error came back to SENDER's connected
 * socket), or SILENT. */
static enum outcome deliver(int sender, int receiver, int ms, struct sockaddr_in *from)
{
    struct pollfd p[2] = { { .fd = receiver, .events = POLLIN }, { .fd = sender, .events = POLLIN } };
    socklen_t len = sizeof(*from);
    char buf[64];

    if (poll(p, 2, ms) == 0)
        return SILENT;
    if (p[0].revents && recvfrom(receiver, buf, sizeof(buf), 0, (struct sockaddr *)from, &len) >= 0)
        return ARRIVED;
    ck_assert_msg(recv(sender, buf, sizeof(buf), 0) < 0 && errno == ECONNREFUSED,
                  "no datagram and no ICMP error: %s", strerror(errno));
    return REFUSED;
}

/* The guest sends to the outside, waiting up to MS; the outside answers
 * whoever it saw.  Returns whether the answer came back, and in SEEN what
 * the outside saw as the source ("" if nothing arrived). */
static enum outcome guest_to_outside(int ms, char seen[INET_ADDRSTRLEN])
{
    _cleanup_close_ int guest = udp_in(guest_ns, GUEST_ADDR, OUTSIDE_ADDR);
    _cleanup_close_ int outside = udp_in(outside_ns, OUTSIDE_ADDR, NULL);
    struct sockaddr_in from, back;
    enum outcome r;

    seen[0] = '\0';
    ck_assert_int_eq(send(guest, "ping", 4, 0), 4);
    r = deliver(guest, outside, ms, &from);
    if (r != ARRIVED)
        return r;
    inet_ntop(AF_INET, &from.sin_addr, seen, INET_ADDRSTRLEN);
    /* unNATed, the outside has no route back to the guest's address */
    if (sendto(outside, "pong", 4, 0, (struct sockaddr *)&from, sizeof(from)) != 4)
        return SILENT;
    return deliver(outside, guest, ARRIVE_MS, &back);
}

/* The outside opens a conversation with the guest (it needs a route). */
static enum outcome outside_to_guest(void)
{
    _cleanup_close_ int guest = udp_in(guest_ns, GUEST_ADDR, NULL);
    _cleanup_close_ int outside = udp_in(outside_ns, OUTSIDE_ADDR, GUEST_ADDR);
    struct sockaddr_in from;

    ck_assert_int_eq(send(outside, "ping", 4, 0), 4);
    return deliver(outside, guest, ARRIVE_MS, &from);
}

/* ---- rules --------------------------------------------------------------- */

/* DEF from network XML (the parser netd uses). */
static struct mv_net_def *parse(const char *xml)
{
    struct mv_net_def *def = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_net_def_parse(xml, &def, &err) == 0, "does not parse: %s\n%s", err ? err : "?", xml);
    return def;
}

/* The network on mvbr0 with FORWARD ("" for isolated) inside <network>. */
static struct mv_net_def *net(const char *forward)
{
    _cleanup_free_ char *xml = NULL;

    ck_assert(asprintf(&xml, "<network><name>traffic</name>%s<bridge name='mvbr0'/>"
                             "<ip address='192.168.100.1' prefix='24'/></network>", forward) > 0);
    return parse(xml);
}

static void add(const struct mv_net_def *def)
{
    _cleanup_free_ char *err = NULL;

    ck_assert_msg(mv_firewall_add(def, &err) == 0, "add: %s", err ? err : "?");
}

static void load_docker(void)
{
    run_in(host_ns, "%s", docker_rules);
}

/* ---- the tests ------------------------------------------------------------ */

/* Without rules the datagram is routed out unNATed and the answer has no
 * way back: the control for the NAT test. */
START_TEST(test_no_rules_no_nat)
{
    char seen[INET_ADDRSTRLEN];

    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), SILENT);
    ck_assert_str_eq(seen, GUEST_ADDR);
}
END_TEST

START_TEST(test_nat_masquerades)
{
    _cleanup_net_def_ struct mv_net_def *def = net("<forward mode='nat'/>");
    char seen[INET_ADDRSTRLEN];

    add(def);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), ARRIVED);
    ck_assert_str_eq(seen, UPLINK_ADDR);
    /* the way in is open only for answers */
    run_in(outside_ns, "ip route add 192.168.100.0/24 via " UPLINK_ADDR);
    ck_assert_int_eq(outside_to_guest(), REFUSED);
}
END_TEST

START_TEST(test_route_both_ways)
{
    _cleanup_net_def_ struct mv_net_def *def = net("<forward mode='route'/>");
    char seen[INET_ADDRSTRLEN];

    run_in(outside_ns, "ip route add 192.168.100.0/24 via " UPLINK_ADDR);
    add(def);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), ARRIVED);
    ck_assert_str_eq(seen, GUEST_ADDR);
    ck_assert_int_eq(outside_to_guest(), ARRIVED);
}
END_TEST

START_TEST(test_isolated_blocks)
{
    _cleanup_net_def_ struct mv_net_def *def = net("");
    char seen[INET_ADDRSTRLEN];

    run_in(outside_ns, "ip route add 192.168.100.0/24 via " UPLINK_ADDR);
    add(def);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), REFUSED);
    ck_assert_str_eq(seen, "");
    ck_assert_int_eq(outside_to_guest(), REFUSED);
}
END_TEST

/* Removing the nat network's rules takes the NAT with them. */
START_TEST(test_remove_ends_nat)
{
    _cleanup_net_def_ struct mv_net_def *def = net("<forward mode='nat'/>");
    _cleanup_free_ char *err = NULL;
    char seen[INET_ADDRSTRLEN];

    add(def);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), ARRIVED);
    ck_assert_int_eq(mv_firewall_remove(def, &err), 0);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), SILENT);
    ck_assert_str_eq(seen, GUEST_ADDR);
}
END_TEST

/* Docker's FORWARD drop silently breaks NAT until coexist lets our bridge
 * through DOCKER-USER; remove takes that back. */
START_TEST(test_docker_coexist)
{
    _cleanup_net_def_ struct mv_net_def *def = net("<forward mode='nat'/>");
    _cleanup_free_ char *warning = NULL, *err = NULL;
    char seen[INET_ADDRSTRLEN];

    load_docker();
    add(def);
    ck_assert_int_eq(guest_to_outside(SILENCE_MS, seen), SILENT);
    ck_assert_str_eq(seen, "");
    ck_assert_int_eq(mv_firewall_coexist(def, &warning, &err), 0);
    ck_assert_ptr_null(warning);
    ck_assert_int_eq(guest_to_outside(ARRIVE_MS, seen), ARRIVED);
    ck_assert_str_eq(seen, UPLINK_ADDR);
    ck_assert_int_eq(mv_firewall_remove(def, &err), 0);
    ck_assert_int_eq(guest_to_outside(SILENCE_MS, seen), SILENT);
    ck_assert_str_eq(seen, "");
}
END_TEST

/* Can this process make network namespaces, veths and nftables tables?
 * Tried in a child so a failure leaves this process as it was. */
static int probe(void)
{
    return unshare(CLONE_NEWNET) == 0 &&
           system("ip link add mvprobe0 type veth peer name mvprobe1 && nft add table inet probe") == 0 ? 0 : -1;
}

int main(void)
{
    Suite *s = suite_create("netd_firewall_traffic");
    TCase *tc = tcase_create("traffic");
    SRunner *sr;
    int n;

    if (!mv_test_probe(probe)) {
        printf("1..0 # SKIP no network namespaces, veth or nftables here (needs root)\n");
        return 0;
    }
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_no_rules_no_nat);
    tcase_add_test(tc, test_nat_masquerades);
    tcase_add_test(tc, test_route_both_ways);
    tcase_add_test(tc, test_isolated_blocks);
    tcase_add_test(tc, test_remove_ends_nat);
    tcase_add_test(tc, test_docker_coexist);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);   /* each test builds its namespaces in its own process */
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
