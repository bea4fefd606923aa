/* Network ports on disk (netd/port_store.c): what a netd killed with -9
 * finds again, and what it throws away. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "netd.h"
#include "network_obj.h"
#include "network_store.h"
#include "paths.h"
#include "port_store.h"
#include "store.h"
#include "testutil.h"

struct netd_driver netd;        /* the driver's state, without driver.c */

static char tmpdir[256];
static struct mv_paths paths;

static void setup(void)
{
    _cleanup_free_ char *root = NULL;

    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_netd_port_store");
    ck_assert_int_ge(asprintf(&root, "%s/root", tmpdir), 0);
    ck_assert_int_eq(mv_paths_init(&paths, root), 0);
    ck_assert_int_eq(netd_store_init(&paths), 0);
    ck_assert_int_eq(netd_registry_init(), 0);
    netd.portdir = mv_store_path(netd.store->rundir, "ports", "");
    ck_assert_int_eq(mv_mkdir_p(netd.portdir, 0700), 0);
}

static void teardown(void)
{
    netd_registry_cleanup();
    netd_store_cleanup();
    free(netd.portdir);
    netd.portdir = NULL;
    mv_paths_clear(&paths);
    mv_test_rmtree(tmpdir);
}

/* A network NAME in the registry, active or not (its live definition is
 * all port_store reads: the bridge). */
static struct netd_net *add_net(const char *name, bool active)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    struct mv_net_def *def = NULL;
    struct netd_net *net = NULL, *holder = NULL;

    ck_assert_int_ge(asprintf(&xml, "<network><name>%s</name><bridge name='br-%s'/></network>", name, name), 0);
    ck_assert_int_eq(mv_net_def_parse(xml, &def, &msg), 0);
    ck_assert_int_eq(netd_registry_add(name, def->uuid, "test", &net, &holder), 0);
    net->def = def;
    net->live = active ? mv_net_def_copy(def) : NULL;
    net->active = active;
    pthread_mutex_unlock(&net->lock);
    netd_job_end(net);
    return net;
}

static struct netd_port *make_port(const char *uuid, const char *owner, const char *mac, const char *bridge)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    struct mv_port_def *def = NULL;

    ck_assert_int_ge(asprintf(&xml, "<networkport><uuid>%s</uuid><owner><name>%s</name>"
                              "<uuid>6b5c4d3e-2f10-4b8c-9d7e-5f4a3b2c1d0e</uuid></owner>"
                              "<mac address='%s'/><plug type='network' bridge='%s'/></networkport>",
                              uuid, owner, mac, bridge), 0);
    ck_assert_msg(mv_port_def_parse(xml, &def, &msg) == 0, "%s", msg ? msg : "?");
    return netd_port_new(def);
}

static char *port_file(const char *uuid)
{
    return mv_store_path(netd.portdir, uuid, ".xml");
}

static void write_file(const char *name, const char *text)
{
    _cleanup_free_ char *path = mv_store_path(netd.portdir, name, "");

    ck_assert_int_eq(mv_file_write_atomic(path, text, strlen(text), 0600), 0);
}

static const char U1[] = "0f1e2d3c-4b5a-4697-8877-665544332211";
static const char U2[] = "1f1e2d3c-4b5a-4697-8877-665544332211";

START_TEST(test_save_load)
{
    _cleanup_net_unref_ struct netd_net *net = add_net("n1", true);
    struct netd_port *port = make_port(U1, "vm1", "52:54:00:aa:bb:01", "br-n1");
    _cleanup_free_ char *path = port_file(U1), *a = NULL, *b = NULL;
    struct mv_err err = { 0 };

    ck_assert_int_eq(netd_port_store_save("n1", port, &err), 0);
    ck_assert_int_eq(access(path, F_OK), 0);
    a = mv_port_def_format(port->def);
    netd_port_free(port);

    /* a netd that starts again finds it on its (active) network */
    netd_port_store_load();
    ck_assert_uint_eq(net->nports, 1);
    ck_assert_str_eq(net->ports[0]->uuid_str, U1);
    b = mv_port_def_format(net->ports[0]->def);
    ck_assert_str_eq(a, b);

    /* a destroy drops the port and its file */
    netd_net_drop_ports(net);
    ck_assert_uint_eq(net->nports, 0);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_load_drops_stale)
{
    _cleanup_net_unref_ struct netd_net *off = add_net("off", false);
    _cleanup_net_unref_ struct netd_net *on = add_net("on", true);
    struct netd_port *p1 = make_port(U1, "vm1", "52:54:00:aa:bb:01", "br-off");
    struct netd_port *p2 = make_port(U2, "vm2", "52:54:00:aa:bb:02", "br-gone");
    _cleanup_free_ char *f1 = port_file(U1), *f2 = port_file(U2), *junk = NULL, *temp = NULL;
    struct mv_err err = { 0 };

    /* a port of an inactive network, one of a network that is gone, a
     * damaged file, and a write killed half-way */
    ck_assert_int_eq(netd_port_store_save("off", p1, &err), 0);
    ck_assert_int_eq(netd_port_store_save("gone", p2, &err), 0);
    write_file("2f1e2d3c-4b5a-4697-8877-665544332211.xml", "<networkportstatus network='on'>");
    write_file(".3f1e2d3c-4b5a-4697-8877-665544332211.xml.AbC123", "<half");
    junk = mv_store_path(netd.portdir, "2f1e2d3c-4b5a-4697-8877-665544332211.xml", "");
    temp = mv_store_path(netd.portdir, ".3f1e2d3c-4b5a-4697-8877-665544332211.xml.AbC123", "");
    netd_port_free(p1);
    netd_port_free(p2);

    netd_port_store_load();
    ck_assert_uint_eq(off->nports, 0);
    ck_assert_uint_eq(on->nports, 0);
    ck_assert_int_ne(access(f1, F_OK), 0);
    ck_assert_int_ne(access(f2, F_OK), 0);
    ck_assert_int_ne(access(junk, F_OK), 0);
    ck_assert_int_ne(access(temp, F_OK), 0);
}
END_TEST

/* A file that is not named after its port (a copy) goes: only UUID.xml is
 * removed when the port is deleted. */
START_TEST(test_load_duplicate)
{
    _cleanup_net_unref_ struct netd_net *net = add_net("n1", true);
    struct netd_port *port = make_port(U1, "vm1", "52:54:00:aa:bb:01", "br-n1");
    _cleanup_free_ char *text = NULL, *xml = mv_port_def_format(port->def);
    _cleanup_free_ char *copy = mv_store_path(netd.portdir, "copy.xml", "");
    struct mv_err err = { 0 };

    ck_assert_int_eq(netd_port_store_save("n1", port, &err), 0);
    ck_assert_int_ge(asprintf(&text, "<networkportstatus network='n1'>%s</networkportstatus>", xml), 0);
    write_file("copy.xml", text);
    netd_port_free(port);

    netd_port_store_load();
    ck_assert_uint_eq(net->nports, 1);
    ck_assert_int_ne(access(copy, F_OK), 0);
    netd_net_drop_ports(net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("netd_port_store");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_load_drops_stale);
    tcase_add_test(tc, test_load_duplicate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
