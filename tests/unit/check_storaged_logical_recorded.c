/*
 * The logical pool backend against recorded LVM output: this kernel has no
 * device-mapper, so the test puts a directory of fake LVM tools first on
 * PATH.  Each fake logs its command line and prints the output recorded
 * for it (tests/data/lvm, written after LVM's documented JSON report
 * layout) with the exit status the test chose; the backend's real runner
 * code runs them.  The tests compare the command lines with golden ones.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "cleanup.h"
#include "storaged_pooldef.h"
#include "testutil.h"

/* Each test's fake tools live under one directory main() removes after the
 * run: a failed assertion ends a test before its teardown runs. */
static char rundir[PATH_MAX];
static char tmp[PATH_MAX + 32];
static char bin[PATH_MAX + 48];

static const char *const tools[] = { "lvs", "vgs", "vgchange", "pvcreate", "pvremove", "vgcreate", "vgremove",
                                     "lvcreate", "lvremove", "lvextend", "lvresize", "blkid" };

/* The fake: logs "TOOL ARGS", prints TOOL.out and TOOL.stderr, exits with
 * TOOL.status (0 if absent). */
static const char fake_tool[] =
    "#!/bin/sh\n"
    "d=${0%/*}; t=${0##*/}\n"
    "printf '%s\\n' \"$t $*\" >> \"$d/calls.log\"\n"
    "[ -f \"$d/$t.out\" ] && cat \"$d/$t.out\"\n"
    "[ -f \"$d/$t.stderr\" ] && cat \"$d/$t.stderr\" >&2\n"
    "exit \"$(cat \"$d/$t.status\" 2>/dev/null || echo 0)\"\n";

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "%s/test.XXXXXX", rundir);
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(bin, sizeof(bin), "%s/bin", tmp);
    ck_assert_int_eq(mkdir(bin, 0755), 0);
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", bin, tools[i]);
        write_text(path, fake_tool, 0755);
    }
    _cleanup_free_ char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"), 0);
    ck_assert_int_eq(setenv("PATH", path, 1), 0);
}

static void teardown(void)
{
    mv_test_rmtree(tmp);
}

/* What TOOL prints next: a recorded file from tests/data/lvm, or TEXT. */
static void record_output(const char *tool, const char *recorded)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s.out", bin, tool);
    _cleanup_free_ char *src = mv_test_data_path("lvm", recorded);
    _cleanup_free_ char *text = read_text(src);
    ck_assert_uint_gt(strlen(text), 0);
    write_text(path, text, 0644);
}

static void record_failure(const char *tool, int status, const char *stderr_text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s.status", bin, tool);
    char num[16];
    snprintf(num, sizeof(num), "%d\n", status);
    write_text(path, num, 0644);
    snprintf(path, sizeof(path), "%s/%s.stderr", bin, tool);
    write_text(path, stderr_text, 0644);
}

static void record_text(const char *tool, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s.out", bin, tool);
    write_text(path, text, 0644);
}

/* The command lines the backend ran, one a line, and forgets them. */
static char *calls(void)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/calls.log", bin);
    char *text = read_text(path);
    unlink(path);
    return text;
}

static struct mv_pool_def *vg0_def(void)
{
    struct mv_pool_def *def = test_pool_def(MV_POOL_LOGICAL, "lvpool", "/dev/vg0");
    def->src_name = strdup("vg0");
    test_pool_def_add_device(def, "/dev/sdb");
    test_pool_def_add_device(def, "/dev/sdc");
    return def;
}

static const struct mv_pool_backend *logical(void)
{
    return mv_pool_backend_for(MV_POOL_LOGICAL);
}

static const struct mv_pool_vol *find_vol(const struct mv_pool_vol *vols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vols[i].name, name))
            return &vols[i];
    return NULL;
}

START_TEST(test_refresh_recorded)
{
    struct mv_pool_def *def = vg0_def();
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage = { 0 };
    size_t n = 0;
    _cleanup_free_ char *err = NULL, *log = NULL;

    record_output("vgs", "vgs-vg0.json");
    record_output("lvs", "lvs-vg0.json");
    ck_assert_msg(logical()->refresh(def, &vols, &n, &usage, &err) == 0, "%s", err);
    log = calls();
    ck_assert_str_eq(log, "vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free vg0\n"
                          "lvs --reportformat json --units b --nosuffix -o lv_name,lv_path,lv_size,lv_attr vg0\n");
    ck_assert_uint_eq(usage.capacity, 107369988096ULL);
    ck_assert_uint_eq(usage.available, 68706893824ULL);
    ck_assert_uint_eq(usage.allocation, 107369988096ULL - 68706893824ULL);
    ck_assert_uint_eq(n, 3);            /* the thin pool is no volume */
    ck_assert_ptr_null(find_vol(vols, n, "tpool"));
    const struct mv_pool_vol *root = find_vol(vols, n, "root"), *old = find_vol(vols, n, "old");
    ck_assert_ptr_nonnull(root);
    ck_assert_ptr_nonnull(old);
    ck_assert_str_eq(root->path, "/dev/vg0/root");
    ck_assert_int_eq(root->info.format, MV_VOLFILE_RAW);
    ck_assert_uint_eq(root->info.capacity, 21474836480ULL);
    ck_assert_uint_eq(root->info.allocation, 21474836480ULL);
    ck_assert_uint_eq(old->info.capacity, 2147483648ULL);
    mv_pool_vols_free(vols, n);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_refresh_recorded_json_std)
{
    struct mv_pool_def *def = vg0_def();
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage = { 0 };
    size_t n = 0;
    _cleanup_free_ char *err = NULL;

    record_output("vgs", "vgs-vg0-std.json");
    record_output("lvs", "lvs-vg0-std.json");
    ck_assert_msg(logical()->refresh(def, &vols, &n, &usage, &err) == 0, "%s", err);
    ck_assert_uint_eq(usage.available, 68706893824ULL);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(find_vol(vols, n, "guest1")->info.capacity, 10737418240ULL);
    mv_pool_vols_free(vols, n);

    record_output("lvs", "lvs-empty.json");
    ck_assert_msg(logical()->refresh(def, &vols, &n, &usage, &err) == 0, "%s", err);
    ck_assert_uint_eq(n, 0);
    mv_pool_vols_free(vols, n);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_refresh_bad_output)
{
    struct mv_pool_def *def = vg0_def();
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage = { 0 };
    size_t n = 0;
    _cleanup_free_ char *err = NULL;

    record_output("vgs", "vgs-vg0.json");
    record_text("lvs", "  LV   VG  Attr\n  root vg0 -wi-ao----\n");
    ck_assert_int_eq(logical()->refresh(def, &vols, &n, &usage, &err), -EPROTO);
    ck_assert_ptr_nonnull(strstr(err, "pool 'lvpool'"));
    ck_assert_ptr_nonnull(strstr(err, "lvs"));
    free(err);
    err = NULL;
    record_text("lvs", "{\"report\":[{\"lv\":[{\"lv_name\":\"x\",\"lv_path\":\"/dev/vg0/x\",\"lv_size\":\"-1\"}]}]}");
    ck_assert_int_eq(logical()->refresh(def, &vols, &n, &usage, &err), -EPROTO);
    free(err);
    err = NULL;
    record_text("vgs", "{\"report\":[{\"vg\":[{\"vg_name\":\"vg0\",\"vg_size\":\"1\",\"vg_free\":\"2\"}]}]}");
    ck_assert_int_eq(logical()->refresh(def, &vols, &n, &usage, &err), -EPROTO);
    ck_assert_ptr_nonnull(strstr(err, "vgs"));
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_start_stop_commands)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *log = NULL;

    ck_assert_int_eq(logical()->start(def, NULL), 0);
    ck_assert_int_eq(logical()->stop(def, NULL), 0);
    ck_assert(logical()->is_started(def));
    log = calls();
    ck_assert_str_eq(log, "vgchange -aly vg0\nvgchange -aln vg0\nvgs --reportformat json -o vg_name vg0\n");
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_missing_vg)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *err = NULL;

    record_failure("vgs", 5, "  Volume group \"vg0\" not found\n  Cannot process volume group vg0\n");
    record_failure("vgchange", 5, "  Volume group \"vg0\" not found\n  Cannot process volume group vg0\n");
    ck_assert(!logical()->is_started(def));
    ck_assert_int_eq(logical()->start(def, &err), -EIO);
    ck_assert_str_eq(err, "cannot start pool 'lvpool': vgchange exited with status 5: Volume group \"vg0\" "
                          "not found; Cannot process volume group vg0");
    mv_pool_def_free(def);
}
END_TEST

/* <source><name> defaults to the pool's name, as in libvirt */
START_TEST(test_vg_name_default)
{
    struct mv_pool_def *def = test_pool_def(MV_POOL_LOGICAL, "guests", "/dev/guests");
    _cleanup_free_ char *log = NULL, *path = logical()->vol_path(def, "v1");

    ck_assert_int_eq(logical()->start(def, NULL), 0);
    log = calls();
    ck_assert_str_eq(log, "vgchange -aly guests\n");
    ck_assert_str_eq(path, "/dev/guests/v1");
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_build_commands)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *log = NULL, *err = NULL;

    record_failure("blkid", 2, "");         /* nothing on either device */
    ck_assert_msg(logical()->build(def, MV_POOL_BUILD_NO_OVERWRITE, &err) == 0, "%s", err);
    log = calls();
    ck_assert_str_eq(log, "blkid -p -o value -s TYPE /dev/sdb\nblkid -p -o value -s TYPE /dev/sdc\n"
                          "pvcreate /dev/sdb\npvcreate /dev/sdc\nvgcreate vg0 /dev/sdb /dev/sdc\n");
    ck_assert_int_eq(logical()->build(def, MV_POOL_BUILD_OVERWRITE, NULL), 0);
    free(log);
    log = calls();
    ck_assert_str_eq(log, "pvcreate -ff -y /dev/sdb\npvcreate -ff -y /dev/sdc\nvgcreate vg0 /dev/sdb /dev/sdc\n");
    ck_assert_int_eq(logical()->build(def, MV_POOL_BUILD_OVERWRITE | MV_POOL_BUILD_NO_OVERWRITE, NULL), -EINVAL);
    free(log);
    log = calls();
    ck_assert_str_eq(log, "");
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_build_no_overwrite_refuses)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *log = NULL, *err = NULL;

    record_text("blkid", "LVM2_member\n");
    ck_assert_int_eq(logical()->build(def, MV_POOL_BUILD_NO_OVERWRITE, &err), -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "pool 'lvpool'"));
    ck_assert_ptr_nonnull(strstr(err, "/dev/sdb"));
    ck_assert_ptr_nonnull(strstr(err, "LVM2_member"));
    log = calls();
    ck_assert_str_eq(log, "blkid -p -o value -s TYPE /dev/sdb\n");
    mv_pool_def_free(def);
}
END_TEST

/* A failed vgcreate leaves no PV labels behind. */
START_TEST(test_build_rolls_back)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *log = NULL, *err = NULL;

    record_failure("vgcreate", 5, "  A volume group called vg0 already exists.\n");
    ck_assert_int_eq(logical()->build(def, 0, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err, "cannot build pool 'lvpool'"));
    ck_assert_ptr_nonnull(strstr(err, "already exists"));
    log = calls();
    ck_assert_str_eq(log, "pvcreate /dev/sdb\npvcreate /dev/sdc\nvgcreate vg0 /dev/sdb /dev/sdc\n"
                          "pvremove -y /dev/sdb\npvremove -y /dev/sdc\n");
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_delete_commands)
{
    struct mv_pool_def *def = vg0_def();
    _cleanup_free_ char *log = NULL;

    ck_assert_int_eq(logical()->delete_pool(def, 0, NULL), 0);
    log = calls();
    ck_assert_str_eq(log, "vgremove -f vg0\npvremove -y /dev/sdb\npvremove -y /dev/sdc\n");
    ck_assert_int_eq(logical()->delete_pool(def, MV_POOL_DELETE_ZEROED, NULL), -ENOTSUP);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_volume_commands)
{
    struct mv_pool_def *def = vg0_def();
    struct mv_vol_def vol = { .name = "guest2", .capacity = 5368709120ULL };
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = 5368709120ULL };
    _cleanup_free_ char *log = NULL, *err = NULL, *path = logical()->vol_path(def, "guest2");

    ck_assert_str_eq(path, "/dev/vg0/guest2");
    ck_assert_msg(logical()->vol_create(def, &vol, path, &spec, &err) == 0, "%s", err);
    ck_assert_int_eq(logical()->vol_resize(def, path, 10737418240ULL, false, false, NULL), 0);
    ck_assert_int_eq(logical()->vol_resize(def, path, 1073741824ULL, true, false, NULL), 0);
    ck_assert_int_eq(logical()->vol_delete(def, path, NULL), 0);
    log = calls();
    ck_assert_str_eq(log, "lvcreate --yes -L 5368709120b -n guest2 vg0\n"
                          "lvextend -L 10737418240b /dev/vg0/guest2\n"
                          "lvresize -f -L 1073741824b /dev/vg0/guest2\n"
                          "lvremove -f /dev/vg0/guest2\n");
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_volume_refusals)
{
    struct mv_pool_def *def = vg0_def();
    struct mv_vol_def vol = { .name = "guest2", .capacity = 1 << 30 };
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = 1 << 30 };
    _cleanup_free_ char *log = NULL, *err = NULL, *path = logical()->vol_path(def, "guest2");

    ck_assert_int_eq(logical()->vol_create(def, &vol, path, &spec, &err), -ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err, "'guest2'"));
    ck_assert_ptr_nonnull(strstr(err, "pool 'lvpool'"));
    free(err);
    err = NULL;
    /* LVM's own refusal, word for word */
    record_failure("lvextend", 5, "  New size given (256 extents) not larger than existing size (1280 extents)\n");
    ck_assert_int_eq(logical()->vol_resize(def, path, 1 << 30, false, false, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err, "not larger than existing size"));
    log = calls();
    ck_assert_str_eq(log, "lvextend -L 1073741824b /dev/vg0/guest2\n");
    mv_pool_def_free(def);
}
END_TEST

static Suite *logical_suite(void)
{
    Suite *s = suite_create("storaged_logical_recorded");
    TCase *tc = tcase_create("recorded lvm output");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_refresh_recorded);
    tcase_add_test(tc, test_refresh_recorded_json_std);
    tcase_add_test(tc, test_refresh_bad_output);
    tcase_add_test(tc, test_start_stop_commands);
    tcase_add_test(tc, test_missing_vg);
    tcase_add_test(tc, test_vg_name_default);
    tcase_add_test(tc, test_build_commands);
    tcase_add_test(tc, test_build_no_overwrite_refuses);
    tcase_add_test(tc, test_build_rolls_back);
    tcase_add_test(tc, test_delete_commands);
    tcase_add_test(tc, test_volume_commands);
    tcase_add_test(tc, test_volume_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    snprintf(rundir, sizeof(rundir), "/tmp/stlvm.XXXXXX");
    if (!mkdtemp(rundir)) {
        printf("Bail out! cannot make a directory under /tmp: %s\n", strerror(errno));
        return 1;
    }
    SRunner *sr = srunner_create(logical_suite());
    srunner_run_all(sr, CK_ENV);
    int n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_rmtree(rundir);
    return n ? 1 : 0;
}
