/*
 * The command line builder's options for one device (qemu_command.h
 * mv_qemu_build_device) as QMP commands, so that a hotplugged device is
 * built by the very code a start uses.  An option is "key=value,..." with
 * ",," for a comma inside a value; -device, -netdev and -object start with
 * their driver, type or class.  Dotted keys become nested objects
 * ("cache.direct=on" is {"cache": {"direct": true}}); "on"/"off" become
 * booleans where QEMU's schema is strict (blockdev-add, netdev_add,
 * object-add) and stay strings for device_add, which reads its arguments
 * as QemuOpts as -device does.  Pure: no I/O (tests/unit/check_qemud_hotplug.c).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hotplug_json.h"

/* One option of the command line and the QMP command for it. */
static const struct {
    const char *flag, *cmd;
    const char *lead;           /* key of the leading bare value, NULL: none */
    bool typed;                 /* "on"/"off" are booleans */
    const char *undo, *undo_key, *id_key;
} option_cmds[] = {
    { "-object", "object-add", "qom-type", true, "object-del", "id", "id" },
    { "-blockdev", "blockdev-add", NULL, true, "blockdev-del", "node-name", "node-name" },
    { "-netdev", "netdev_add", "type", true, "netdev_del", "id", "id" },
    { "-device", "device_add", "driver", false, NULL, NULL, NULL },
};

/* The next value of an option at *P, ",," turned into ",": malloc'd. */
static char *next_part(const char **p)
{
    const char *s = *p;
    char *out = malloc(strlen(s) + 1), *o = out;

    if (!out)
        return NULL;
    while (*s) {
        if (*s == ',' && s[1] == ',') {
            *o++ = ',';
            s += 2;
        } else if (*s == ',') {
            s++;
            break;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *p = s;
    return out;
}

static json_object *value_of(const char *v, bool typed)
{
    if (typed && strcmp(v, "on") == 0)
        return json_object_new_boolean(1);
    if (typed && strcmp(v, "off") == 0)
        return json_object_new_boolean(0);
    return json_object_new_string(v);
}

/* Sets KEY (dotted: nested) in OBJ to VAL (taken over). */
static int set_key(json_object *obj, char *key, json_object *val)
{
    char *dot = strchr(key, '.');
    json_object *sub;

    if (!val)
        return -ENOMEM;
    if (!dot) {
        if (json_object_object_add(obj, key, val) < 0) {
            json_object_put(val);
            return -ENOMEM;
        }
        return 0;
    }
    *dot = '\0';
    if (!json_object_object_get_ex(obj, key, &sub)) {
        if (!(sub = json_object_new_object()) || json_object_object_add(obj, key, sub) < 0) {
            json_object_put(sub);
            json_object_put(val);
            return -ENOMEM;
        }
    }
    return set_key(sub, dot + 1, val);
}

static json_object *option_args(const char *opt, const char *lead, bool typed)
{
    json_object *obj = json_object_new_object();
    const char *p = opt;
    bool first = true;

    while (obj && *p) {
        _cleanup_free_ char *part = next_part(&p);
        char *eq = part ? strchr(part, '=') : NULL;
        int r;

        if (!part)
            r = -ENOMEM;
        else if (first && lead && !eq)
            r = set_key(obj, (char *)lead, json_object_new_string(part));
        else if (!eq)
            r = -EINVAL;
        else
            *eq = '\0', r = set_key(obj, part, value_of(eq + 1, typed));
        first = false;
        if (r < 0) {
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

/* {"KEY": ID} where ID is ARGS's ID_KEY, for the undo. */
static json_object *undo_args(json_object *args, const char *id_key, const char *key)
{
    json_object *id, *u;

    if (!json_object_object_get_ex(args, id_key, &id) || !(u = json_object_new_object()))
        return NULL;
    if (json_object_object_add(u, key, json_object_get(id)) < 0) {
        json_object_put(u);
        return NULL;
    }
    return u;
}

int hotplug_option_qmp(const char *flag, const char *opt, struct hotplug_qmp *out)
{
    size_t k = 0;

    *out = (struct hotplug_qmp){ 0 };
    while (k < MV_ARRAY_SIZE(option_cmds) && strcmp(option_cmds[k].flag, flag) != 0)
        k++;
    if (k == MV_ARRAY_SIZE(option_cmds))
        return -ENOENT;
    if (!(out->args = option_args(opt, option_cmds[k].lead, option_cmds[k].typed)))
        return -EINVAL;
    out->cmd = option_cmds[k].cmd;
    if (option_cmds[k].undo) {
        if (!(out->undo_args = undo_args(out->args, option_cmds[k].id_key, option_cmds[k].undo_key))) {
            json_object_put(TAKE_PTR(out->args));
            return -EINVAL;
        }
        out->undo_cmd = option_cmds[k].undo;
    }
    return 0;
}
