/*
 * LVM's reports as JSON: `lvs`/`vgs --reportformat json --units b
 * --nosuffix -o ...`, parsed with json-c.  The layout is
 *   {"report": [ {"lv": [ {"lv_name": "v1", "lv_size": "1073741824", ...} ] } ]}
 * ("vg" for vgs); plain "json" prints every value as a string, "json_std"
 * prints numbers as numbers, so both are read.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"

/* report[0].KEY, an array; NULL if the report has another shape. */
static json_object *report_rows(json_object *root, const char *key)
{
    json_object *report, *rows;
    if (!json_object_object_get_ex(root, "report", &report) || !json_object_is_type(report, json_type_array) ||
        json_object_array_length(report) < 1)
        return NULL;
    json_object *first = json_object_array_get_idx(report, 0);
    if (!json_object_object_get_ex(first, key, &rows) || !json_object_is_type(rows, json_type_array))
        return NULL;
    return rows;
}

static const char *row_str(json_object *row, const char *field)
{
    json_object *v;
    if (!json_object_object_get_ex(row, field, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* A size in bytes, as a string of digits or a JSON number. */
static bool row_u64(json_object *row, const char *field, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(row, field, &v))
        return false;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_uint64(v);
        return true;
    }
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long val = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = val;
    return true;
}

static int bad_report(const struct mv_pool_def *def, const char *tool, const char *why, char **errmsg)
{
    return mv_errmsg_set(errmsg, -EPROTO, "cannot refresh pool '%s': unexpected output from %s: %s", def->name,
                         tool, why);
}

/* One LV as a raw volume; thin pools hold no data of their own and are
 * not volumes (lv_attr's first letter 't'). */
static int lv_to_vol(const struct mv_pool_def *def, json_object *row, struct mv_pool_vol *vol, bool *skip)
{
    const char *name = row_str(row, "lv_name"), *path = row_str(row, "lv_path");
    const char *attr = row_str(row, "lv_attr");
    uint64_t size;
    if (!name || !*name || !path || !row_u64(row, "lv_size", &size))
        return -EPROTO;
    *skip = attr && attr[0] == 't';
    if (*skip)
        return 0;
    memset(vol, 0, sizeof(*vol));
    vol->name = strdup(name);
    /* an LV LVM does not give a device path for: where lvcreate put it */
    vol->path = *path ? strdup(path) : mv_lvm_vol_path(def, name);
    if (!vol->name || !vol->path) {
        free(vol->name);
        free(vol->path);
        return -ENOMEM;
    }
    vol->info.format = MV_VOLFILE_RAW;
    vol->info.capacity = vol->info.allocation = vol->info.physical = size;
    return 0;
}

int mv_lvm_parse_lvs(const struct mv_pool_def *def, const char *json, struct mv_pool_vol **vols, size_t *n,
                     char **errmsg)
{
    json_object *root = json_tokener_parse(json);
    json_object *rows = root ? report_rows(root, "lv") : NULL;
    if (!rows) {
        json_object_put(root);
        return bad_report(def, "lvs", "no report.lv array", errmsg);
    }
    size_t len = json_object_array_length(rows), k = 0;
    struct mv_pool_vol *v = calloc(len ? len : 1, sizeof(*v));
    int rc = v ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        bool skip = false;
        rc = lv_to_vol(def, json_object_array_get_idx(rows, i), &v[k], &skip);
        if (rc == 0 && !skip)
            k++;
    }
    json_object_put(root);
    if (rc < 0) {
        mv_pool_vols_free(v, k);
        return rc == -ENOMEM ? mv_errmsg_set(errmsg, rc, "cannot refresh pool '%s': out of memory", def->name)
                             : bad_report(def, "lvs", "an LV without lv_name, lv_path or lv_size", errmsg);
    }
    *vols = v;
    *n = k;
    return 0;
}

int mv_lvm_parse_vgs(const struct mv_pool_def *def, const char *json, struct mv_pool_usage *usage,
                     char **errmsg)
{
    json_object *root = json_tokener_parse(json);
    json_object *rows = root ? report_rows(root, "vg") : NULL;
    uint64_t size = 0, free_ = 0;
    bool ok = rows && json_object_array_length(rows) == 1 &&
              row_u64(json_object_array_get_idx(rows, 0), "vg_size", &size) &&
              row_u64(json_object_array_get_idx(rows, 0), "vg_free", &free_) && free_ <= size;
    json_object_put(root);
    if (!ok)
        return bad_report(def, "vgs", "not one VG with vg_size and vg_free", errmsg);
    usage->capacity = size;
    usage->available = free_;
    usage->allocation = size - free_;
    return 0;
}
