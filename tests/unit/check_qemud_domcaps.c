/*
 * The domain capabilities of modvirt-qemud (qemud/domain_caps.c) from
 * recorded probe data: QEMU 7.2's machine list and QMP answers in
 * tests/data/host, Debian ovmf's firmware descriptors in tests/data/firmware.
 * The XML is golden-tested (MV_REGENERATE=1 rewrites it) and validated
 * against libvirt's domaincaps.rng; the argument checks name what they refuse.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "domain_caps.h"
#include "firmware.h"
#include "golden.h"
#include "qemu_probe.h"
#include "schema.h"
#include "sysfs.h"
#include "testutil.h"

#define QEMU "/usr/bin/qemu-system-x86_64"

static char *data_text(const char *sub, const char *name)
{
    _cleanup_free_ char *path = mv_test_data_path(sub, name);
    char *text = NULL;

    ck_assert_int_eq(mv_sysfs_read(NULL, path, &text), 0);
    return text;
}

/* Caps as the probe fills them from QEMU 7.2's recorded output. */
static void recorded_qemu(struct mv_qemu_caps *caps)
{
    _cleanup_free_ char *machines = data_text("host", "qemu-7.2-machine-help.txt");
    _cleanup_free_ char *qmp = data_text("host", "qemu-7.2-qmp-query-machines.txt");
    _cleanup_free_ char *cpus = data_text("host", "qemu-7.2-qmp-query-cpu-definitions.txt");
    _cleanup_free_ char *spice = data_text("host", "qemu-7.2-qmp-query-spice.txt");

    *caps = (struct mv_qemu_caps){ 0 };
    ck_assert_int_eq(mv_qemu_parse_machines(machines, caps), 0);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(qmp, caps), 0);
    ck_assert_int_eq(mv_qemu_parse_qmp_cpu_models(cpus, caps), 0);
    caps->spice = mv_qemu_parse_qmp_spice(spice);
    ck_assert(caps->spice);
    caps->binary = strdup(QEMU);
    ck_assert_ptr_nonnull(caps->binary);
    caps->max_cpus_default = MV_QEMU_MAX_CPUS_DEFAULT;
}

static void recorded_firmware(struct mv_firmware_list *fw)
{
    _cleanup_free_ char *dir = mv_test_data_path("firmware", "");

    ck_assert_int_eq(mv_firmware_scan(dir, "x86_64", fw), 0);
}

/* swtpm as Debian 12 installs it; no host TPM device */
static const struct mv_domain_caps_tpm swtpm_installed = { .emulator = true, .v1_2 = true, .v2_0 = true };

/* The XML for REQ, checked against the schema and the golden file NAME
 * (TPM: what the host offers, NULL for nothing; VIRTIOFS: virtiofsd is
 * installed; SPICE: QEMU has it). */
static void golden_case_spice(const char *name, const struct mv_domain_caps_request *req, bool kvm_usable,
                              const struct mv_domain_caps_tpm *tpm, bool virtiofs, bool spice)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu;
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list fw;
    _cleanup_free_ char *err = NULL, *xml = NULL;
    struct mv_domain_caps_input in = { .kvm_max_vcpus = 710 };
    xmlRelaxNGPtr schema;

    recorded_qemu(&qemu);
    recorded_firmware(&fw);
    ck_assert_int_eq(mv_domain_caps_choose(&qemu, kvm_usable, req, &in.choice, &err), 0);
    qemu.spice = spice;
    in.qemu = &qemu;
    in.firmware = &fw;
    in.tpm = tpm;
    in.virtiofs = virtiofs;
    ck_assert_int_eq(mv_domain_caps_format(&in, &xml), 0);
    mv_test_golden("data/host", name, "", xml);
    schema = mv_test_schema_load("domaincaps");
    if (schema) {
        ck_assert_msg(mv_test_schema_valid(schema, xml), "%s does not validate", name);
        xmlRelaxNGFree(schema);
    }
}

static void golden_case(const char *name, const struct mv_domain_caps_request *req, bool kvm_usable,
                        const struct mv_domain_caps_tpm *tpm, bool virtiofs)
{
    golden_case_spice(name, req, kvm_usable, tpm, virtiofs, true);
}

START_TEST(test_default_tcg)
{
    golden_case("domcaps-default-tcg.xml", &(struct mv_domain_caps_request){ 0 }, false, NULL, false);
}
END_TEST

/* A QEMU built without SPICE: no spice graphics, spicevmc channel or USB
 * redirection listed */
START_TEST(test_no_spice)
{
    golden_case_spice("domcaps-nospice-tcg.xml", &(struct mv_domain_caps_request){ 0 }, false, NULL, false, false);
    ck_assert(!mv_qemu_parse_qmp_spice("{\"return\": {}}\n{\"error\": {\"class\": \"CommandNotFound\", "
                                       "\"desc\": \"The command query-spice has not been found\"}}\n"));
    ck_assert(!mv_qemu_parse_qmp_spice("{\"return\": {\"enabled\": false, \"host\": \"127.0.0.1\"}}\n"));
    ck_assert(!mv_qemu_parse_qmp_spice(""));
}
END_TEST

START_TEST(test_q35_alias)
{
    golden_case("domcaps-q35-tcg.xml",
                &(struct mv_domain_caps_request){ .machine = "q35", .virttype = "qemu",
                                                  .arch = "x86_64", .emulatorbin = QEMU },
                true, &swtpm_installed, true);
}
END_TEST

START_TEST(test_q35_kvm)
{
    golden_case("domcaps-q35-kvm.xml", &(struct mv_domain_caps_request){ .machine = "pc-q35-7.2" },
                true, &(struct mv_domain_caps_tpm){ .passthrough = true, .emulator = true, .v2_0 = true }, false);
}
END_TEST

/* Each argument refused with its value named. */
static const struct {
    struct mv_domain_caps_request req;
    int err;
    const char *named;
} refusals[] = {
    { { .emulatorbin = "/usr/bin/qemu-kvm" }, -EINVAL, "'/usr/bin/qemu-kvm'" },
    { { .arch = "aarch64" }, -EINVAL, "'aarch64'" },
    { { .machine = "pc-q35-99.0" }, -EINVAL, "'pc-q35-99.0'" },
    { { .machine = "microvm" }, -EINVAL, "'microvm'" },
    { { .virttype = "xen" }, -EINVAL, "'xen'" },
    { { .virttype = "kvm" }, -ENOTSUP, "'kvm'" },
};

START_TEST(test_refused)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu;
    _cleanup_free_ char *err = NULL;
    struct mv_domain_caps_choice choice;

    recorded_qemu(&qemu);
    ck_assert_int_eq(mv_domain_caps_choose(&qemu, false, &refusals[_i].req, &choice, &err),
                     refusals[_i].err);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, refusals[_i].named), "'%s' does not name %s", err, refusals[_i].named);
}
END_TEST

/* The same file by another absolute path is the same emulator (Debian 12: /bin is /usr/bin). */
START_TEST(test_emulator_other_path)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu;
    _cleanup_free_ char *err = NULL;
    struct mv_domain_caps_choice choice;
    struct stat a, b;

    if (stat("/bin/qemu-system-x86_64", &a) < 0 || stat(QEMU, &b) < 0 || a.st_ino != b.st_ino) {
        printf("# SKIP no /bin/qemu-system-x86_64 that is " QEMU "\n");
        return;
    }
    recorded_qemu(&qemu);
    ck_assert_int_eq(mv_domain_caps_choose(&qemu, false,
                                           &(struct mv_domain_caps_request){
                                               .emulatorbin = "/bin/qemu-system-x86_64" },
                                           &choice, &err), 0);
    ck_assert_int_eq(mv_domain_caps_choose(&qemu, false,
                                           &(struct mv_domain_caps_request){
                                               .emulatorbin = "bin/qemu-system-x86_64" },
                                           &choice, &err), -EINVAL);
}
END_TEST

/* Debian's three descriptors, in file name order (their priority): the two
 * secure boot ones need SMM and are for q35 only. */
START_TEST(test_firmware_scan)
{
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list fw;

    recorded_firmware(&fw);
    ck_assert_uint_eq(fw.n, 3);
    ck_assert_str_eq(fw.items[0].executable, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
    ck_assert(fw.items[0].requires_smm && fw.items[0].secure_boot && fw.items[0].enrolled_keys);
    ck_assert_str_eq(fw.items[1].executable, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd");
    ck_assert(fw.items[1].requires_smm && fw.items[1].secure_boot && !fw.items[1].enrolled_keys);
    ck_assert(!mv_firmware_fits_machine(&fw.items[1], "pc-i440fx-7.2"));
    ck_assert_str_eq(fw.items[2].executable, "/usr/share/OVMF/OVMF_CODE_4M.fd");
    ck_assert_str_eq(fw.items[2].nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
    ck_assert(!fw.items[2].requires_smm && !fw.items[2].secure_boot && !fw.items[2].enrolled_keys);
    ck_assert(mv_firmware_fits_machine(&fw.items[2], "pc-q35-7.2"));
    ck_assert(mv_firmware_fits_machine(&fw.items[2], "pc-i440fx-7.2"));
    ck_assert(!mv_firmware_fits_machine(&fw.items[2], "microvm"));
    mv_firmware_list_clear(&fw);
    ck_assert_int_eq(mv_firmware_scan("/nonexistent/firmware", "x86_64", &fw), 0);
    ck_assert_uint_eq(fw.n, 0);
}
END_TEST

START_TEST(test_cpu_models)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu;
    bool qemu64 = false, host = false;

    recorded_qemu(&qemu);
    for (size_t i = 0; i < qemu.ncpu_models; i++) {
        qemu64 |= strcmp(qemu.cpu_models[i].name, "qemu64") == 0 && qemu.cpu_models[i].usable_tcg;
        host |= strcmp(qemu.cpu_models[i].name, "host") == 0;
    }
    ck_assert(qemu64);
    ck_assert(!host);
    ck_assert_int_eq(mv_qemu_parse_qmp_cpu_models("{\"return\": {}}\n", &qemu), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_domcaps");
    TCase *tc = tcase_create("domcaps");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_default_tcg);
    tcase_add_test(tc, test_no_spice);
    tcase_add_test(tc, test_q35_alias);
    tcase_add_test(tc, test_q35_kvm);
    tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(refusals) / sizeof(refusals[0])));
    tcase_add_test(tc, test_emulator_other_path);
    tcase_add_test(tc, test_firmware_scan);
    tcase_add_test(tc, test_cpu_models);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
