#define MV_LOG_MODULE "qemud.firmware"
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "cleanup.h"
#include "file.h"
#include "firmware.h"
#include "log.h"

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
    if (array_has(desc, "features", "requires-smm")) {
        *why = "requires SMM, which modvirt-qemud does not enable";
        return 1;
    }
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
