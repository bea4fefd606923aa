#define MV_LOG_MODULE "qemud.firmware"
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "cleanup.h"
#include "error_codes.h"
#include "errmsg.h"
#include "file.h"
#include "firmware.h"
#include "log.h"
#include "nvram.h"

static void json_putp(json_object **o)
{
    if (*o)
        json_object_put(*o);
}

static void firmware_clear(struct mv_firmware *fw)
{
    free(fw->executable);
    free(fw->nvram_template);
    mv_strv_free(fw->machines);
    *fw = (struct mv_firmware){ 0 };
}

void mv_firmware_list_clear(struct mv_firmware_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        firmware_clear(&list->items[i]);
    free(list->items);
    *list = (struct mv_firmware_list){ 0 };
}

bool mv_firmware_fits_machine(const struct mv_firmware *fw, const char *machine)
{
    for (size_t i = 0; fw->machines && fw->machines[i]; i++)
        if (fnmatch(fw->machines[i], machine, 0) == 0)
            return true;
    return false;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool array_has(json_object *o, const char *key, const char *value)
{
    json_object *a;

    if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *v = json_object_array_get_idx(a, i);

        if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), value) == 0)
            return true;
    }
    return false;
}

/* The machine globs of the target for ARCH into FW; 0, or 1 when no target is ARCH. */
static int take_machines(json_object *desc, const char *arch, struct mv_firmware *fw)
{
    json_object *targets, *machines;

    if (!json_object_object_get_ex(desc, "targets", &targets) ||
        !json_object_is_type(targets, json_type_array))
        return 1;
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i);
        const char *a = get_string(t, "architecture");
        size_t n;

        if (!a || strcmp(a, arch) != 0 || !json_object_object_get_ex(t, "machines", &machines) ||
            !json_object_is_type(machines, json_type_array))
            continue;
        n = json_object_array_length(machines);
        fw->machines = calloc(n + 1, sizeof(*fw->machines));
        if (!fw->machines)
            return -ENOMEM;
        for (size_t k = 0, j = 0; k < n; k++) {
            json_object *m = json_object_array_get_idx(machines, k);

            if (json_object_is_type(m, json_type_string) &&
                !(fw->machines[j++] = strdup(json_object_get_string(m))))
                return -ENOMEM;
        }
        return 0;
    }
    return 1;
}

/* The flash mapping of DESC into FW; 0, or 1 (with *WHY) when qemud cannot use it. */
static int take_mapping(json_object *desc, struct mv_firmware *fw, const char **why)
{
    json_object *mapping, *exec, *nvram;
    const char *device, *path, *format;

    if (!json_object_object_get_ex(desc, "mapping", &mapping) ||
        !(device = get_string(mapping, "device")) || strcmp(device, "flash") != 0 ||
        !json_object_object_get_ex(mapping, "executable", &exec) ||
        !(path = get_string(exec, "filename")) || path[0] != '/') {
        *why = "not a flash image with an absolute path";
        return 1;
    }
    /* qemud maps the loader as format=raw */
    format = get_string(exec, "format");
    if (format && strcmp(format, "raw") != 0) {
        *why = "not a raw image";
        return 1;
    }
    if (!(fw->executable = strdup(path)))
        return -ENOMEM;
    if (json_object_object_get_ex(mapping, "nvram-template", &nvram) &&
        (path = get_string(nvram, "filename")) && path[0] == '/' &&
        !(fw->nvram_template = strdup(path)))
        return -ENOMEM;
    return 0;
}

/* One descriptor into FW; 0, or 1 (with *WHY) to skip it. */
static int parse_descriptor(const char *text, const char *arch, struct mv_firmware *fw,
                            const char **why)
{
    _cleanup_(json_putp) json_object *desc = json_tokener_parse(text);
    int r;

    if (!desc || !json_object_is_type(desc, json_type_object)) {
        *why = "not a JSON object";
        return 1;
    }
    if (!array_has(desc, "interface-types", "uefi")) {
        *why = "not UEFI";
        return 1;
    }
    fw->requires_smm = array_has(desc, "features", "requires-smm");
    fw->secure_boot = array_has(desc, "features", "secure-boot");
    fw->enrolled_keys = array_has(desc, "features", "enrolled-keys");
    if ((r = take_mapping(desc, fw, why)) != 0)
        return r;
    r = take_machines(desc, arch, fw);
    if (r == 1)
        *why = "made for no machine of this architecture";
    return r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int json_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

/* Reads DIR/NAME into LIST when it is usable. */
static int add_descriptor(const char *dir, const char *name, const char *arch,
                          struct mv_firmware_list *list)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    struct mv_firmware fw = { 0 };
    const char *why = NULL;
    int r;

    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return -ENOMEM;
    r = mv_file_read_all(path, MV_FIRMWARE_DESCRIPTOR_MAX, &text, NULL);
    if (r < 0) {
        mv_debug("firmware descriptor '%s' skipped: %s", path, strerror(-r));
        return 0;
    }
    r = parse_descriptor(text, arch, &fw, &why);
    if (r != 0) {
        firmware_clear(&fw);
        if (r > 0)
            mv_debug("firmware descriptor '%s' skipped: %s", path, why);
        return r < 0 ? r : 0;
    }
    list->items[list->n++] = fw;
    return 0;
}

int mv_firmware_scan(const char *dir, const char *arch, struct mv_firmware_list *list)
{
    struct dirent **names = NULL;
    int n, r = 0;

    *list = (struct mv_firmware_list){ 0 };
    dir = dir ? dir : MV_FIRMWARE_DESCRIPTOR_DIR;
    n = scandir(dir, &names, json_file, by_name);
    if (n < 0)
        return errno == ENOENT ? 0 : -errno;
    list->items = calloc((size_t)n + 1, sizeof(*list->items));
    if (!list->items)
        r = -ENOMEM;
    for (int i = 0; i < n; i++) {
        if (r == 0 && list->n < MV_FIRMWARE_MAX)
            r = add_descriptor(dir, names[i]->d_name, arch, list);
        free(names[i]);
    }
    free(names);
    if (r < 0)
        mv_firmware_list_clear(list);
    return r;
}

/* ---- choosing firmware for a domain ---- */

/* A wish of the domain (YES: must, NO: must not) against what FW has. */
static bool wish_ok(enum mv_tristate wish, bool has)
{
    return wish == MV_TRISTATE_ABSENT || (wish == MV_TRISTATE_YES) == has;
}

static bool fits_domain(const struct mv_firmware *fw, const struct mv_dom_def *def, const char *machine)
{
    const struct mv_dom_os *os = &def->os;

    return mv_firmware_fits_machine(fw, machine) && wish_ok(os->fw_secure_boot, fw->secure_boot) &&
           wish_ok(os->fw_enrolled_keys, fw->enrolled_keys) &&
           /* secure='yes' asks for flash guarded by SMM */
           (os->loader_secure != MV_TRISTATE_YES || fw->requires_smm) &&
           /* a domain with SMM off cannot run firmware that needs it */
           (def->features.smm != MV_TRISTATE_NO || !fw->requires_smm);
}

static const char *tristate_word(enum mv_tristate t)
{
    return t == MV_TRISTATE_YES ? "yes" : "no";
}

static int no_match(const struct mv_dom_def *def, const struct mv_firmware_fill_ctx *ctx, int *errcode,
                    char **errmsg)
{
    const struct mv_dom_os *os = &def->os;
    char wishes[160] = "";
    size_t n = 0;

    if (os->fw_secure_boot)
        n += (size_t)snprintf(wishes + n, sizeof(wishes) - n, ", secure-boot %s", tristate_word(os->fw_secure_boot));
    if (os->fw_enrolled_keys && n < sizeof(wishes))
        n += (size_t)snprintf(wishes + n, sizeof(wishes) - n, ", enrolled-keys %s",
                              tristate_word(os->fw_enrolled_keys));
    if (os->loader_secure == MV_TRISTATE_YES && n < sizeof(wishes))
        n += (size_t)snprintf(wishes + n, sizeof(wishes) - n, ", secure flash");
    if (def->features.smm == MV_TRISTATE_NO && n < sizeof(wishes))
        snprintf(wishes + n, sizeof(wishes) - n, ", SMM off");
    *errcode = MV_ERR_OPERATION_FAILED;
    return mv_errmsg_set(errmsg, -ENOENT,
                         "operation failed: no firmware descriptor in %s satisfies firmware='efi' of domain "
                         "'%s' (machine '%s'%s)",
                         ctx->dir ? ctx->dir : MV_FIRMWARE_DESCRIPTOR_DIR, def->name, ctx->machine, wishes);
}

/* SMM on in DEF's live <features>, written out so that the live XML shows
 * it; a domain without <features> had QEMU's ACPI and APIC, which a written
 * <features> must now name to keep. */
static void smm_on(struct mv_dom_def *def)
{
    if (!def->features.given) {
        def->features.given = true;
        def->features.acpi = def->features.apic = true;
    }
    def->features.smm = MV_TRISTATE_YES;
}

/* What FW requires of the machine: SMM on, and then flash only SMM may write. */
static void take_smm(struct mv_dom_def *def, const struct mv_firmware *fw)
{
    if (!fw->requires_smm)
        return;
    smm_on(def);
    def->os.loader_secure = MV_TRISTATE_YES;
}

static int replace(char **field, const char *value)
{
    char *copy = value ? strdup(value) : NULL;

    if (value && !copy)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

static int fill_auto(struct mv_dom_def *def, const struct mv_firmware_fill_ctx *ctx, int *errcode,
                     char **errmsg)
{
    struct mv_dom_os *os = &def->os;
    const struct mv_firmware *fw = NULL;

    for (size_t i = 0; !fw && ctx->list && i < ctx->list->n; i++)
        if (fits_domain(&ctx->list->items[i], def, ctx->machine))
            fw = &ctx->list->items[i];
    if (!fw)
        return no_match(def, ctx, errcode, errmsg);
    if (replace(&os->loader, fw->executable) < 0 || replace(&os->nvram_template, fw->nvram_template) < 0 ||
        (!os->nvram && fw->nvram_template && replace(&os->nvram, ctx->nvram_path) < 0))
        return -ENOMEM;
    os->loader_given = true;
    os->loader_type = MV_DOM_LOADER_PFLASH;
    os->loader_readonly = MV_TRISTATE_YES;
    take_smm(def, fw);
    /* what was asked is now what was chosen: the live definition names it */
    os->firmware = MV_DOM_OS_FIRMWARE_NONE;
    os->fw_secure_boot = os->fw_enrolled_keys = MV_TRISTATE_ABSENT;
    return 0;
}

/* A named read-only pflash loader: its descriptor's template and needs. */
static int fill_named(struct mv_dom_def *def, const struct mv_firmware_fill_ctx *ctx)
{
    struct mv_dom_os *os = &def->os;

    if (!os->loader || os->loader_type != MV_DOM_LOADER_PFLASH || os->loader_readonly != MV_TRISTATE_YES)
        return 0;
    for (size_t i = 0; ctx->list && i < ctx->list->n; i++) {
        const struct mv_firmware *fw = &ctx->list->items[i];

        if (strcmp(fw->executable, os->loader) != 0 || !mv_firmware_fits_machine(fw, ctx->machine))
            continue;
        if (!os->nvram_template && replace(&os->nvram_template, fw->nvram_template) < 0)
            return -ENOMEM;
        if (def->features.smm == MV_TRISTATE_ABSENT && fw->requires_smm)
            smm_on(def);
        return 0;
    }
    return 0;
}

int mv_firmware_fill(struct mv_dom_def *def, const struct mv_firmware_fill_ctx *ctx, int *errcode,
                     char **errmsg)
{
    *errcode = MV_ERR_NO_MEMORY;
    if (def->os.firmware == MV_DOM_OS_FIRMWARE_EFI)
        return fill_auto(def, ctx, errcode, errmsg);
    return fill_named(def, ctx);
}

/* Only a pflash loader, named or to be chosen, has descriptors to consult. */
static bool wants_descriptors(const struct mv_dom_os *os)
{
    return os->firmware == MV_DOM_OS_FIRMWARE_EFI || (os->loader && os->loader_type == MV_DOM_LOADER_PFLASH);
}

int mv_firmware_prepare(struct mv_dom_def *live, const char *machine, const char *statedir, int *errcode,
                        char **errmsg)
{
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list list = { 0 };
    _cleanup_free_ char *nvram_dir = NULL;
    _cleanup_free_ char *nvram_path = NULL;
    struct mv_firmware_fill_ctx ctx = { .list = &list, .dir = MV_FIRMWARE_DESCRIPTOR_DIR, .machine = machine };
    int r;

    *errcode = MV_ERR_NO_MEMORY;
    if (wants_descriptors(&live->os)) {
        if (!(nvram_dir = mv_nvram_dir(statedir)) || !(nvram_path = mv_nvram_default_path(nvram_dir, live->name)))
            return -ENOMEM;
        ctx.nvram_path = nvram_path;
        /* an unreadable directory is no firmware: the choice says so */
        if ((r = mv_firmware_scan(NULL, "x86_64", &list)) == -ENOMEM)
            return r;
        if ((r = mv_firmware_fill(live, &ctx, errcode, errmsg)) < 0)
            return r;
    }
    return mv_nvram_prepare(live, errcode, errmsg);
}
