/*
 * Domain statistics without a daemon: QEMU's answers (as QEMU 7.2 gives
 * them) read into struct qemud_stats, the keys and order `virsh domstats`
 * gets from them, the wire bound, and the host's side on real files: this
 * process's own /proc entries, a fake sysfs interface, raw and qcow2 images.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stats_params.h"
#include "testutil.h"

static const char *const xml =
    "<domain type='qemu'><name>vm1</name><memory unit='KiB'>262144</memory>"
    "<currentMemory unit='KiB'>131072</currentMemory><vcpu current='1'>2</vcpu>"
    "<os><type arch='x86_64'>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/i/a.img'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>"
    "<interface type='bridge'><source bridge='br0'/><target dev='tap7'/><mac address='52:54:00:00:00:07'/></interface>"
    "<memballoon model='virtio'/></devices></domain>";

static char root[256];
static struct qemud_stats st;

static void setup(void)
{
    int code = 0;
    char *msg = NULL;

    mv_test_mkdtemp(root, sizeof(root), "mv-stats");
    memset(&st, 0, sizeof(st));
    ck_assert_msg(mv_dom_def_parse(xml, MV_DOM_PARSE_STATUS, &st.def, &code, &msg) == 0, "parse: %s", msg);
    st.blocks = calloc(st.def->devices.ndisks, sizeof(*st.blocks));
    st.nets = calloc(st.def->devices.nnets, sizeof(*st.nets));
    ck_assert_ptr_nonnull(st.blocks);
    ck_assert_ptr_nonnull(st.nets);
    st.active = true;
    st.state = 1, st.reason = 1;
}

static void teardown(void)
{
    qemud_stats_clear(&st);
    mv_test_rmtree(root);
}

static json_object *json(const char *text)
{
    json_object *o = json_tokener_parse(text);

    ck_assert_msg(o != NULL, "bad JSON in the test: %s", text);
    return o;
}

START_TEST(test_blockstats)
{
    json_object *r = json("[{\"device\":\"\",\"node-name\":\"vda-format\",\"qdev\":\"/machine/peripheral/virtio-disk0/"
                          "virtio-backend\",\"stats\":{\"rd_operations\":3,\"rd_bytes\":20992,\"rd_total_time_ns\":"
                          "23589495,\"wr_operations\":2,\"wr_bytes\":1024,\"wr_total_time_ns\":7,\"flush_operations\":1,"
                          "\"flush_total_time_ns\":9,\"failed_rd_operations\":1},\"parent\":{\"node-name\":"
                          "\"vda-storage\",\"stats\":{\"wr_highest_offset\":4096}}},"
                          "{\"device\":\"\",\"node-name\":\"vdz-format\",\"stats\":{\"rd_operations\":99}}]");
    json_object *nodes = json("[{\"node-name\":\"vda-storage\",\"image\":{\"virtual-size\":1}},"
                              "{\"node-name\":\"vda-format\",\"image\":{\"virtual-size\":16777216,\"actual-size\":8192}},"
                              "{\"node-name\":\"sda-format\",\"image\":{\"virtual-size\":100}}]");

    qemud_stats_parse_blockstats(r, &st);
    qemud_stats_parse_block_nodes(nodes, &st);
    ck_assert(st.blocks[0].have);
    ck_assert_uint_eq(st.blocks[0].rd_reqs, 3);
    ck_assert_uint_eq(st.blocks[0].rd_bytes, 20992);
    ck_assert_uint_eq(st.blocks[0].rd_times, 23589495);
    ck_assert_uint_eq(st.blocks[0].wr_reqs, 2);
    ck_assert_uint_eq(st.blocks[0].fl_times, 9);
    ck_assert_uint_eq(st.blocks[0].errs, 1);
    ck_assert_uint_eq(st.blocks[0].allocation, 4096);
    ck_assert(st.blocks[0].have_size);
    ck_assert_uint_eq(st.blocks[0].capacity, 16777216);
    ck_assert_uint_eq(st.blocks[0].physical, 8192);
    /* no actual-size: the image takes what it holds */
    ck_assert(!st.blocks[1].have);
    ck_assert(st.blocks[1].have_size);
    ck_assert_uint_eq(st.blocks[1].physical, 100);
    json_object_put(r);
    json_object_put(nodes);
}
END_TEST

START_TEST(test_balloon)
{
    json_object *b = json("{\"actual\":268435456}");
    json_object *g = json("{\"stats\":{\"stat-swap-in\":0,\"stat-swap-out\":18446744073709551615,"
                          "\"stat-major-faults\":5,\"stat-minor-faults\":2424,\"stat-free-memory\":197185536,"
                          "\"stat-total-memory\":229113856,\"stat-available-memory\":200622080,"
                          "\"stat-disk-caches\":3571712,\"stat-htlb-pgalloc\":0,\"stat-htlb-pgfail\":0},"
                          "\"last-update\":1796680051}");
    static const int tags[] = { QEMUD_MEM_ACTUAL_BALLOON, QEMUD_MEM_SWAP_IN, QEMUD_MEM_MAJOR_FAULT,
                                QEMUD_MEM_MINOR_FAULT, QEMUD_MEM_UNUSED, QEMUD_MEM_AVAILABLE, QEMUD_MEM_USABLE,
                                QEMUD_MEM_LAST_UPDATE, QEMUD_MEM_DISK_CACHES, QEMUD_MEM_HUGETLB_PGALLOC,
                                QEMUD_MEM_HUGETLB_PGFAIL };

    ck_assert_int_eq(qemud_stats_parse_balloon(b, &st), 0);
    qemud_stats_parse_guest_stats(g, &st);
    ck_assert_uint_eq(st.balloon_kib, 262144);
    ck_assert_uint_eq(st.nmem, sizeof(tags) / sizeof(tags[0]));     /* swap_out (-1) left out */
    for (size_t i = 0; i < st.nmem; i++)
        ck_assert_int_eq(st.mem[i].tag, tags[i]);
    ck_assert_uint_eq(st.mem[4].val, 192564);       /* bytes to KiB */
    ck_assert_uint_eq(st.mem[7].val, 1796680051);
    ck_assert_int_eq(qemud_stats_parse_balloon(g, &st), -EINVAL);
    json_object_put(b);
    json_object_put(g);
}
END_TEST

/* the keys of TP, one per line */
static char *keys_of(const struct qemud_stat_params *tp)
{
    char *s = calloc(1, 8192);

    for (size_t i = 0; i < tp->n; i++) {
        strcat(s, tp->v[i].field);
        strcat(s, "\n");
    }
    return s;
}

START_TEST(test_params_running)
{
    json_object *cpus = json("[{\"cpu-index\":0,\"thread-id\":4242,\"qom-path\":\"/machine/unattached/device[0]\"}]");
    json_object *blk = json("[{\"node-name\":\"vda-format\",\"stats\":{}}]");
    struct qemud_stat_params tp = { 0 };
    char *keys;

    qemud_stats_parse_blockstats(blk, &st);
    json_object_put(blk);
    ck_assert_int_eq(qemud_stats_parse_cpus(cpus, &st), 0);
    ck_assert_uint_eq(st.nvcpus, 1);
    ck_assert_int_eq(st.vcpus[0].tid, 4242);
    st.vcpus[0].have = true;
    st.have_cpu = true;
    st.nets[0].have = true;
    st.nets[0].rx_bytes = 180;
    ck_assert_int_eq(qemud_stats_to_params(&st, QEMUD_STATS_SUPPORTED, &tp), 0);
    keys = keys_of(&tp);
    ck_assert_str_eq(keys,
                     "state.state\nstate.reason\ncpu.time\ncpu.user\ncpu.system\ncpu.cache.monitor.count\n"
                     "cpu.haltpoll.success.time\ncpu.haltpoll.fail.time\nballoon.current\nballoon.maximum\n"
                     "vcpu.current\nvcpu.maximum\nvcpu.0.state\nvcpu.0.time\nvcpu.0.wait\nvcpu.0.delay\n"
                     "net.count\nnet.0.name\nnet.0.rx.bytes\nnet.0.rx.pkts\nnet.0.rx.errs\nnet.0.rx.drop\n"
                     "net.0.tx.bytes\nnet.0.tx.pkts\nnet.0.tx.errs\nnet.0.tx.drop\n"
                     "block.count\nblock.0.name\nblock.0.path\nblock.0.backingIndex\nblock.0.rd.reqs\n"
                     "block.0.rd.bytes\nblock.0.rd.times\nblock.0.wr.reqs\nblock.0.wr.bytes\nblock.0.wr.times\n"
                     "block.0.fl.reqs\nblock.0.fl.times\nblock.0.allocation\nblock.1.name\n");
    /* types as libvirt's: state INT, counts UINT, the rest ULLONG, names STRING */
    ck_assert_int_eq(tp.v[0].value.type, 1);
    ck_assert_int_eq(tp.v[10].value.type, 2);
    ck_assert_int_eq(tp.v[2].value.type, 4);
    ck_assert_int_eq(tp.v[17].value.type, 7);
    ck_assert_str_eq(tp.v[17].value.mv_typed_param_value_u.s, "tap7");
    ck_assert_uint_eq(tp.v[18].value.mv_typed_param_value_u.ul, 180);
    /* balloon.current without a balloon answer: the definition's */
    ck_assert_uint_eq(tp.v[8].value.mv_typed_param_value_u.ul, 131072);
    free(keys);
    qemud_sp_free(&tp);
    json_object_put(cpus);
}
END_TEST

START_TEST(test_params_shutoff_and_bound)
{
    struct qemud_stat_params tp = { 0 };
    struct qemud_stat_params small = { .max = 3 };
    char *keys;

    st.active = false;
    st.state = 5, st.reason = 0;
    st.blocks[0].have_alloc = st.blocks[0].have_size = true;
    st.blocks[0].capacity = 10;
    ck_assert_int_eq(qemud_stats_to_params(&st, QEMUD_STATS_SUPPORTED, &tp), 0);
    keys = keys_of(&tp);
    ck_assert_str_eq(keys, "state.state\nstate.reason\nballoon.current\nballoon.maximum\nvcpu.current\n"
                           "vcpu.maximum\nblock.count\nblock.0.name\nblock.0.path\nblock.0.allocation\n"
                           "block.0.capacity\nblock.0.physical\nblock.1.name\n");
    free(keys);
    ck_assert_int_eq(qemud_stats_to_params(&st, QEMUD_STATS_SUPPORTED, &small), -E2BIG);
    ck_assert_uint_eq(small.n, 3);
    qemud_sp_free(&tp);
    qemud_sp_free(&small);
    ck_assert_str_eq(qemud_stats_group_name(64), "perf");
    ck_assert_str_eq(qemud_stats_group_name(2), "cpu-total");
}
END_TEST

START_TEST(test_host_self)
{
    struct qemud_stats_vcpu v = { .tid = (pid_t)syscall(SYS_gettid) };
    unsigned long long total = 0, user, sys, rss = 0;
    volatile unsigned long spin = 0;

    for (unsigned long i = 0; i < 200000000ul; i++)
        spin += i;
    ck_assert_int_eq(qemud_stats_cpu(NULL, getpid(), &total, &user, &sys), 0);
    ck_assert_uint_gt(total, 0);
    ck_assert_uint_eq(total, user + sys);
    ck_assert_int_eq(qemud_stats_task(getpid(), &v), 0);
    ck_assert_uint_gt(v.time_ns, 0);
    ck_assert_int_ge(v.cpu, 0);
    ck_assert_int_eq(qemud_stats_rss_kib(getpid(), &rss), 0);
    ck_assert_uint_gt(rss, 0);
    /* a cgroup directory without cpu.stat: /proc it is */
    ck_assert_int_eq(qemud_stats_cpu(root, getpid(), &total, &user, &sys), 0);
    v.tid = 0x7ffffff0;
    ck_assert_int_eq(qemud_stats_task(getpid(), &v), -ESRCH);
}
END_TEST

static void put(const char *rel, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    ck_assert_msg((f = fopen(path, "w")) != NULL, "%s", path);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_host_files)
{
    static const char *const names[] = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                         "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
    struct qemud_stats_net n = { 0 };
    unsigned long long a, c, p;
    unsigned char hdr[32] = { 'Q', 'F', 'I', 0xfb };
    char dir[512], rel[128];
    int fd;

    snprintf(dir, sizeof(dir), "%s/tap7", root);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof(dir), "%s/tap7/statistics", root);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < 8; i++) {
        char val[16];

        snprintf(rel, sizeof(rel), "tap7/statistics/%s", names[i]);
        snprintf(val, sizeof(val), "%zu\n", i + 1);
        put(rel, val);
    }
    ck_assert_int_eq(qemud_stats_net_read(root, "tap7", &n), 0);
    /* the guest receives what the tap transmits */
    ck_assert_uint_eq(n.rx_bytes, 5);
    ck_assert_uint_eq(n.rx_drop, 8);
    ck_assert_uint_eq(n.tx_bytes, 1);
    ck_assert_uint_eq(n.tx_drop, 4);
    ck_assert_int_eq(qemud_stats_net_read(root, "../tap7", &n), -ENODEV);
    ck_assert_int_eq(qemud_stats_net_read(root, "tap8", &n), -ENODEV);

    put("raw.img", "hello");
    snprintf(dir, sizeof(dir), "%s/raw.img", root);
    ck_assert_int_eq(qemud_stats_image_sizes(dir, &a, &c, &p), 0);
    ck_assert_uint_eq(c, 5);
    ck_assert_uint_eq(p, 5);
    hdr[28] = 0x01;                                 /* 16 MiB virtual, big-endian at 24 */
    snprintf(dir, sizeof(dir), "%s/q.qcow2", root);
    ck_assert_int_ge(fd = open(dir, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), 0);
    ck_assert_int_eq(write(fd, hdr, sizeof(hdr)), (int)sizeof(hdr));
    close(fd);
    ck_assert_int_eq(qemud_stats_image_sizes(dir, &a, &c, &p), 0);
    ck_assert_uint_eq(c, 16777216);
    ck_assert_uint_eq(p, 32);
    ck_assert_int_eq(qemud_stats_find_disk(st.def, "/i/a.img"), 0);
    ck_assert_int_eq(qemud_stats_find_disk(st.def, "sda"), 1);
    ck_assert_int_eq(qemud_stats_find_disk(st.def, "vdz"), -1);
    ck_assert_int_eq(qemud_stats_find_net(st.def, "tap7"), 0);
    ck_assert_int_eq(qemud_stats_find_net(st.def, "52:54:00:00:00:07"), 0);
    ck_assert_int_eq(qemud_stats_find_net(st.def, "52:54:00:00:00:08"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_stats");
    TCase *tc = tcase_create("stats");
    SRunner *sr;
    int n;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_blockstats);
    tcase_add_test(tc, test_balloon);
    tcase_add_test(tc, test_params_running);
    tcase_add_test(tc, test_params_shutoff_and_bound);
    tcase_add_test(tc, test_host_self);
    tcase_add_test(tc, test_host_files);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
