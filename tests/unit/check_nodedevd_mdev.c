/*
 * Mediated devices without a daemon: the strict <device> parser of
 * CREATE_XML / DEFINE_XML and its format (mdev_def.c), a parent's
 * mdev_supported_types read from a directory and written as libvirt 9.0
 * does, and libvirt's mdev names (cap_mdev.c).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "cleanup.h"
#include "error_codes.h"
#include "mdev_def.h"
#include "testutil.h"
#include "xml_format.h"

static struct nodedev_mdev_def *parse_ok(const char *xml)
{
    struct nodedev_mdev_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code;

    ck_assert_msg(nodedev_mdev_def_parse(xml, &def, &code, &msg) == 0, "parse failed: %s", msg);
    ck_assert_ptr_null(msg);
    return def;
}

START_TEST(test_roundtrip)
{
    static const char xml[] =
        "<device>\n"
        "  <parent>pci_0000_00_02_0</parent>\n"
        "  <capability type=\"mdev\">\n"
        "    <type id=\"i915-GVTg_V5_4\"/>\n"
        "    <uuid>8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b</uuid>\n"
        "    <parent_addr>0000:00:02.0</parent_addr>\n"
        "    <attr name=\"assign_adapter\" value=\"5\"/>\n"
        "    <attr name=\"assign_adapter\" value=\"6\"/>\n"
        "  </capability>\n"
        "</device>\n";
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = parse_ok(xml);
    _cleanup_free_ char *out = nodedev_mdev_def_format(def);

    ck_assert_str_eq(def->parent, "pci_0000_00_02_0");
    ck_assert_str_eq(def->type, "i915-GVTg_V5_4");
    ck_assert(def->has_uuid);
    ck_assert_uint_eq(def->nattrs, 2);
    ck_assert_str_eq(def->attrs[1].value, "6");
    ck_assert_str_eq(out, xml);
}
END_TEST

/* What nodedev-dumpxml writes can be defined again: name, path, driver,
 * the group and the parent's address are the kernel's, accepted. */
START_TEST(test_dumped)
{
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = parse_ok(
        "<device><name>mdev_8d1e5b2a_3f6c_4e7d_9a0b_1c2d3e4f5a6b_0000_00_02_0</name>"
        "<path>/sys/devices/pci0000:00/0000:00:02.0/8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b</path>"
        "<parent>pci_0000_00_02_0</parent><driver><name>vfio_mdev</name></driver>"
        "<capability type='mdev'><type id='i915-GVTg_V5_4'/><uuid>8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b</uuid>"
        "<parent_addr>0000:00:02.0</parent_addr><iommuGroup number='12'/></capability></device>");
    _cleanup_mdev_def_ struct nodedev_mdev_def *bare =
        parse_ok("<device><capability type='mdev'><type id='nvidia-63'/></capability></device>");

    ck_assert_str_eq(def->type, "i915-GVTg_V5_4");
    ck_assert_ptr_null(bare->parent);   /* the procedures refuse it, with the operation's words */
    ck_assert(!bare->has_uuid);
}
END_TEST

START_TEST(test_invalid)
{
#define CAP(inner) "<device><parent>pci_0000_00_02_0</parent><capability type='mdev'>" inner "</capability></device>"
    static const struct {
        const char *xml, *msg;
        int code;
    } cases[] = {
        { "<device", "XML error in node device: line 1: ", MV_ERR_XML_ERROR },
        { "<domain/>", "XML error: expected <device> as the root element, not <domain>", MV_ERR_XML_ERROR },
        { "<device><parent>pci_0000_00_02_0</parent></device>",
          "XML error: missing <capability type='mdev'>: only mediated devices can be created or defined",
          MV_ERR_XML_DETAIL },
        { "<device><parent>p</parent><capability type='pci'/></device>",
          "unsupported configuration: capability type 'pci': only mediated devices (type 'mdev') can be created "
          "or defined", MV_ERR_CONFIG_UNSUPPORTED },
        { CAP("<uuid>8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b</uuid>"),
          "XML error: missing <type id=...> in <capability type='mdev'>", MV_ERR_XML_DETAIL },
        { CAP("<type id='i915-GVTg_V5_4'/><uuid>not-a-uuid</uuid>"),
          "XML error: invalid uuid 'not-a-uuid' for a mediated device", MV_ERR_XML_DETAIL },
        { CAP("<type id='i915-GVTg_V5_4'/><uuid>00000000-0000-0000-0000-000000000000</uuid>"),
          "XML error: invalid uuid '00000000-0000-0000-0000-000000000000' for a mediated device", MV_ERR_XML_DETAIL },
        { CAP("<type id='../../../bus/pci/drivers_probe'/>"),
          "XML error: invalid value '../../../bus/pci/drivers_probe' of <type id=...>", MV_ERR_XML_DETAIL },
        { CAP("<type id='.'/>"), "XML error: invalid value '.' of <type id=...>", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><attr name='../remove' value='1'/>"),
          "XML error: invalid value '../remove' of <attr name=...>", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><attr name='remove' value='1'/>"),
          "XML error: invalid value 'remove' of <attr name=...>", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><attr name='uevent' value='add'/>"),
          "XML error: invalid value 'uevent' of <attr name=...>", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><attr name='a' value='1&#10;2'/>"), "XML error: invalid value '1", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><attr value='1'/>"), "XML error: missing", MV_ERR_XML_DETAIL },
        { CAP("<type id='t'/><bogus/>"), "unsupported configuration: unknown element", MV_ERR_CONFIG_UNSUPPORTED },
        { CAP("<type id='t'/><type id='u'/>"), "", 0 },
        { "<device><parent>../pci_0000_00_02_0</parent><capability type='mdev'><type id='t'/></capability></device>",
          "XML error: invalid value '../pci_0000_00_02_0' of <parent>", MV_ERR_XML_DETAIL },
        { "<device><parent>p</parent><parent>q</parent><capability type='mdev'><type id='t'/></capability></device>",
          "", 0 },
    };
#undef CAP

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct nodedev_mdev_def *def = (struct nodedev_mdev_def *)0x1;
        _cleanup_free_ char *msg = NULL;
        int code = 0;

        ck_assert_msg(nodedev_mdev_def_parse(cases[i].xml, &def, &code, &msg) == -EINVAL, "case %zu parsed", i);
        ck_assert_ptr_eq(def, (struct nodedev_mdev_def *)0x1);
        ck_assert_ptr_nonnull(msg);
        ck_assert_msg(strncmp(msg, cases[i].msg, strlen(cases[i].msg)) == 0, "case %zu: expected\n  %s\ngot\n  %s",
                      i, cases[i].msg, msg);
        if (cases[i].code)
            ck_assert_msg(code == cases[i].code, "case %zu: code %d, not %d (%s)", i, code, cases[i].code, msg);
    }
}
END_TEST

START_TEST(test_too_many_attrs)
{
    char xml[16384] = "<device><capability type='mdev'><type id='t'/>";
    struct nodedev_mdev_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code;

    for (int i = 0; i <= NODEDEV_MDEV_ATTRS_MAX; i++)
        strcat(xml, "<attr name='a' value='1'/>");
    strcat(xml, "</capability></device>");
    ck_assert_int_eq(nodedev_mdev_def_parse(xml, &def, &code, &msg), -EINVAL);
    ck_assert_str_eq(msg, "XML error: more than 64 <attr> elements");
}
END_TEST

static void put(const char *dir, const char *rel, const char *text)
{
    _cleanup_free_ char *path = NULL;
    FILE *f;

    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void mkdirf(const char *dir, const char *rel)
{
    _cleanup_free_ char *path = NULL;

    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static char *format_types(const struct nodedev_mdev_types *types)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    ck_assert_int_eq(mv_xml_out_open(&o), 0);
    mv_xml_out_start(&o, "pci");
    nodedev_mdev_types_format(&o, types);
    mv_xml_out_end(&o);
    ck_assert_int_eq(mv_xml_out_finish(&o, &xml), 0);
    return xml;
}

/* Sorted by id; a type without device_api (a driver going away) left out;
 * a type whose name is not UTF-8 written without one, control characters
 * dropped; nothing for a parent without the directory. */
START_TEST(test_types)
{
    char dir[256];
    struct nodedev_mdev_types *types = NULL;
    _cleanup_free_ char *xml = NULL;

    mv_test_mkdtemp(dir, sizeof(dir), "mvmdev");
    ck_assert_int_eq(nodedev_mdev_types_read(dir, &types), 0);
    ck_assert_ptr_null(types);
    mkdirf(dir, "mdev_supported_types");
    mkdirf(dir, "mdev_supported_types/nvidia-64");
    put(dir, "mdev_supported_types/nvidia-64/name", "GRID \xff\n");
    put(dir, "mdev_supported_types/nvidia-64/device_api", "vfio-\001pci\n");
    put(dir, "mdev_supported_types/nvidia-64/available_instances", "0\n");
    mkdirf(dir, "mdev_supported_types/nvidia-63");
    put(dir, "mdev_supported_types/nvidia-63/name", "GRID P4-1Q\n");
    put(dir, "mdev_supported_types/nvidia-63/device_api", "vfio-pci\n");
    put(dir, "mdev_supported_types/nvidia-63/available_instances", "8\n");
    mkdirf(dir, "mdev_supported_types/broken");
    put(dir, "mdev_supported_types/broken/available_instances", "1\n");
    ck_assert_int_eq(nodedev_mdev_types_read(dir, &types), 0);
    ck_assert_ptr_nonnull(types);
    xml = format_types(types);
    ck_assert_str_eq(xml,
                     "<pci>\n"
                     "  <capability type=\"mdev_types\">\n"
                     "    <type id=\"nvidia-63\">\n"
                     "      <name>GRID P4-1Q</name>\n"
                     "      <deviceAPI>vfio-pci</deviceAPI>\n"
                     "      <availableInstances>8</availableInstances>\n"
                     "    </type>\n"
                     "    <type id=\"nvidia-64\">\n"
                     "      <deviceAPI>vfio-pci</deviceAPI>\n"
                     "      <availableInstances>0</availableInstances>\n"
                     "    </type>\n"
                     "  </capability>\n"
                     "</pci>\n");
    nodedev_mdev_types_free(types);
    mv_test_rmtree(dir);
}
END_TEST

START_TEST(test_name)
{
    _cleanup_free_ char *pci = nodedev_mdev_name("8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b", "0000:00:02.0");
    _cleanup_free_ char *ap = nodedev_mdev_name("783e6dbb-ea0e-411f-94e2-717eaad438bf", "matrix");

    ck_assert_str_eq(pci, "mdev_8d1e5b2a_3f6c_4e7d_9a0b_1c2d3e4f5a6b_0000_00_02_0");
    ck_assert_str_eq(ap, "mdev_783e6dbb_ea0e_411f_94e2_717eaad438bf_matrix");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_mdev");
    TCase *tc = tcase_create("mdev");
    SRunner *sr;
    int n;

    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_dumped);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_too_many_attrs);
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_name);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
