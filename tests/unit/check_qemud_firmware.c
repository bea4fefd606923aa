/*
 * Firmware for a domain (qemud/firmware.c, qemud/nvram.c): firmware='efi'
 * resolved against Debian ovmf's descriptors (recorded in
 * tests/data/firmware) as libvirt 9.0 does at start, and a domain's UEFI
 * variable store: its default place, its creation from the template (whole
 * or not at all), kept once it exists, and what undefine finds.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_def.h"
#include "error_codes.h"
#include "file.h"
#include "firmware.h"
#include "nvram.h"
#include "testutil.h"

static struct mv_dom_def *parse(const char *os_attrs, const char *machine, const char *os_body,
                                const char *features)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *err = NULL;
    struct mv_dom_def *def = NULL;
    int code = 0;

    ck_assert(asprintf(&xml,
                       "<domain type='qemu'><name>fw</name><memory>65536</memory>"
                       "<os%s><type machine='%s'>hvm</type>%s</os>%s</domain>",
                       os_attrs, machine, os_body, features) > 0);
    ck_assert_msg(mv_dom_def_parse(xml, 0, &def, &code, &err) == 0, "%s", err ? err : "?");
    return def;
}

/* Fills DEF for the canonical MACHINE; 0 or the error (message in *ERR). */
static int fill(struct mv_dom_def *def, const char *machine, int *code, char **err)
{
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list fw = { 0 };
    _cleanup_free_ char *dir = mv_test_data_path("firmware", "");
    struct mv_firmware_fill_ctx ctx = { .list = &fw, .dir = "/fw", .machine = machine,
                                        .nvram_path = "/nv/fw_VARS.fd" };

    ck_assert_int_eq(mv_firmware_scan(dir, "x86_64", &fw), 0);
    return mv_firmware_fill(def, &ctx, code, err);
}

static void fill_ok(struct mv_dom_def *def, const char *machine)
{
    _cleanup_free_ char *err = NULL;
    int code = 0;

    ck_assert_msg(fill(def, machine, &code, &err) == 0, "%s", err ? err : "?");
}

/* As on libvirt with Debian's ovmf: the first descriptor, MS keys enrolled. */
START_TEST(test_efi_q35_default)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse(" firmware='efi'", "q35", "", "");

    fill_ok(def, "pc-q35-7.2");
    ck_assert_int_eq(def->os.firmware, MV_DOM_OS_FIRMWARE_NONE);
    ck_assert_str_eq(def->os.loader, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
    ck_assert_int_eq(def->os.loader_type, MV_DOM_LOADER_PFLASH);
    ck_assert_int_eq(def->os.loader_readonly, MV_TRISTATE_YES);
    ck_assert_int_eq(def->os.loader_secure, MV_TRISTATE_YES);
    ck_assert_str_eq(def->os.nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd");
    ck_assert_str_eq(def->os.nvram, "/nv/fw_VARS.fd");
    ck_assert_int_eq(def->features.smm, MV_TRISTATE_YES);
}
END_TEST

START_TEST(test_efi_features)
{
    _cleanup_dom_def_ struct mv_dom_def *insecure =
        parse(" firmware='efi'", "q35", "<firmware><feature enabled='no' name='secure-boot'/></firmware>", "");
    _cleanup_dom_def_ struct mv_dom_def *nokeys =
        parse(" firmware='efi'", "q35",
              "<firmware><feature enabled='no' name='enrolled-keys'/></firmware>", "");
    _cleanup_dom_def_ struct mv_dom_def *pc = parse(" firmware='efi'", "pc", "", "");

    fill_ok(insecure, "pc-q35-7.2");
    ck_assert_str_eq(insecure->os.loader, "/usr/share/OVMF/OVMF_CODE_4M.fd");
    ck_assert_int_eq(insecure->os.loader_secure, MV_TRISTATE_ABSENT);
    ck_assert_int_eq(insecure->features.smm, MV_TRISTATE_ABSENT);
    ck_assert_int_eq(insecure->os.fw_secure_boot, MV_TRISTATE_ABSENT);
    fill_ok(nokeys, "pc-q35-7.2");
    ck_assert_str_eq(nokeys->os.loader, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd");
    ck_assert_str_eq(nokeys->os.nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
    /* the secure builds are for q35 only */
    fill_ok(pc, "pc-i440fx-7.2");
    ck_assert_str_eq(pc->os.loader, "/usr/share/OVMF/OVMF_CODE_4M.fd");
}
END_TEST

/* A domain with SMM off gets firmware that does without. */
START_TEST(test_efi_smm_off)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse(" firmware='efi'", "q35", "", "");

    def->features.smm = MV_TRISTATE_NO;
    fill_ok(def, "pc-q35-7.2");
    ck_assert_str_eq(def->os.loader, "/usr/share/OVMF/OVMF_CODE_4M.fd");
    ck_assert_int_eq(def->features.smm, MV_TRISTATE_NO);
}
END_TEST

START_TEST(test_efi_no_match)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse(" firmware='efi'", "q35", "", "");
    _cleanup_free_ char *err = NULL;
    int code = 0;

    ck_assert_int_lt(fill(def, "microvm", &code, &err), 0);
    ck_assert_int_eq(code, MV_ERR_OPERATION_FAILED);
    ck_assert_str_eq(err, "operation failed: no firmware descriptor in /fw satisfies firmware='efi' of domain "
                          "'fw' (machine 'microvm')");
    ck_assert_int_eq(def->os.firmware, MV_DOM_OS_FIRMWARE_EFI);
}
END_TEST

/* A named secure-boot loader: its template, and the SMM it needs. */
START_TEST(test_named_loader)
{
    _cleanup_dom_def_ struct mv_dom_def *def =
        parse("", "q35", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader>"
                         "<nvram>/nv/x.fd</nvram>", "");
    _cleanup_dom_def_ struct mv_dom_def *other =
        parse("", "q35", "<loader readonly='yes' type='pflash'>/opt/OVMF.fd</loader><nvram>/nv/y.fd</nvram>", "");

    fill_ok(def, "pc-q35-7.2");
    ck_assert_str_eq(def->os.nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
    ck_assert_str_eq(def->os.nvram, "/nv/x.fd");
    ck_assert_int_eq(def->features.smm, MV_TRISTATE_YES);
    fill_ok(other, "pc-q35-7.2");
    ck_assert_ptr_null(other->os.nvram_template);
    ck_assert_int_eq(other->features.smm, MV_TRISTATE_ABSENT);
}
END_TEST

/* ---- nvram ---- */

static char tmpdir[256];

static void tmp_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_qemud_firmware");
}

static void tmp_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

static char *in_tmp(const char *name)
{
    char *p;

    ck_assert(asprintf(&p, "%s/%s", tmpdir, name) > 0);
    return p;
}

static struct mv_dom_def *pflash_def(const char *loader, const char *tmpl, const char *nvram)
{
    _cleanup_free_ char *body = NULL;
    struct mv_dom_def *def;

    ck_assert(asprintf(&body, "<loader readonly='yes' type='pflash'>%s</loader><nvram%s%s%s>%s</nvram>", loader,
                       tmpl ? " template='" : "", tmpl ? tmpl : "", tmpl ? "'" : "", nvram) > 0);
    def = parse("", "q35", body, "");
    return def;
}

START_TEST(test_nvram_paths)
{
    _cleanup_dom_def_ struct mv_dom_def *def =
        parse("", "q35", "<loader readonly='yes' type='pflash'>/a/CODE.fd</loader>", "");
    _cleanup_dom_def_ struct mv_dom_def *rom = parse("", "pc", "<loader type='rom'>/a/bios.bin</loader>", "");

    ck_assert_int_eq(mv_nvram_fill_path(def, "/st"), 0);
    ck_assert_str_eq(def->os.nvram, "/st/qemu/nvram/fw_VARS.fd");
    ck_assert_int_eq(mv_nvram_fill_path(rom, "/st"), 0);
    ck_assert_ptr_null(rom->os.nvram);
}
END_TEST

START_TEST(test_nvram_create_keep)
{
    _cleanup_free_ char *code = in_tmp("CODE.fd");
    _cleanup_free_ char *tmpl = in_tmp("VARS.fd");
    _cleanup_free_ char *nvram = in_tmp("sub/dir/fw_VARS.fd");
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *found = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    struct stat st;
    int ecode = 0;

    ck_assert_int_eq(mv_file_write_atomic(code, "code", 4, 0644), 0);
    ck_assert_int_eq(mv_file_write_atomic(tmpl, "template", 8, 0644), 0);
    def = pflash_def(code, tmpl, nvram);
    ck_assert_int_eq(mv_nvram_existing(def, tmpdir, &found), 0);
    ck_assert_ptr_null(found);
    ck_assert_int_eq(mv_nvram_prepare(def, &ecode, &err), 0);
    ck_assert_int_eq(mv_file_read_all(nvram, 64, &text, NULL), 0);
    ck_assert_str_eq(text, "template");
    ck_assert_int_eq(stat(nvram, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    /* the guest's variables survive the next start */
    ck_assert_int_eq(mv_file_write_atomic(nvram, "guest", 5, 0600), 0);
    ck_assert_int_eq(mv_nvram_prepare(def, &ecode, &err), 0);
    free(TAKE_PTR(text));
    ck_assert_int_eq(mv_file_read_all(nvram, 64, &text, NULL), 0);
    ck_assert_str_eq(text, "guest");
    ck_assert_int_eq(mv_nvram_existing(def, tmpdir, &found), 0);
    ck_assert_str_eq(found, nvram);
}
END_TEST

START_TEST(test_nvram_errors)
{
    _cleanup_free_ char *code = in_tmp("CODE.fd");
    _cleanup_free_ char *nvram = in_tmp("fw_VARS.fd");
    _cleanup_free_ char *missing = in_tmp("none.fd");
    _cleanup_free_ char *expect = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_dom_def_ struct mv_dom_def *notemplate = NULL;
    _cleanup_dom_def_ struct mv_dom_def *noloader = NULL;
    _cleanup_dom_def_ struct mv_dom_def *badtemplate = NULL;
    int ecode = 0;

    ck_assert_int_eq(mv_file_write_atomic(code, "code", 4, 0644), 0);
    notemplate = pflash_def(code, NULL, nvram);
    ck_assert_int_lt(mv_nvram_prepare(notemplate, &ecode, &err), 0);
    ck_assert_int_eq(ecode, MV_ERR_OPERATION_FAILED);
    ck_assert(asprintf(&expect, "operation failed: nvram '%s' of domain 'fw' does not exist and no template "
                       "makes it (no <nvram template> and no firmware descriptor names loader '%s')",
                       nvram, code) > 0);
    ck_assert_str_eq(err, expect);
    free(TAKE_PTR(err));
    free(TAKE_PTR(expect));
    noloader = pflash_def(missing, missing, nvram);
    ck_assert_int_lt(mv_nvram_prepare(noloader, &ecode, &err), 0);
    ck_assert(asprintf(&expect, "operation failed: loader '%s' of domain 'fw' cannot be read: "
                       "No such file or directory", missing) > 0);
    ck_assert_str_eq(err, expect);
    free(TAKE_PTR(err));
    badtemplate = pflash_def(code, missing, nvram);
    ck_assert_int_lt(mv_nvram_prepare(badtemplate, &ecode, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "cannot create nvram"));
    /* nothing half made */
    ck_assert_int_eq(access(nvram, F_OK), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_firmware");
    TCase *tc = tcase_create("select");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_efi_q35_default);
    tcase_add_test(tc, test_efi_features);
    tcase_add_test(tc, test_efi_smm_off);
    tcase_add_test(tc, test_efi_no_match);
    tcase_add_test(tc, test_named_loader);
    suite_add_tcase(s, tc);
    tc = tcase_create("nvram");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_nvram_paths);
    tcase_add_test(tc, test_nvram_create_keep);
    tcase_add_test(tc, test_nvram_errors);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
