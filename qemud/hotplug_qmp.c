/*
 * The command line builder's options for one device (qemu_command.h
 * mv_qemu_build_device) as QMP commands, so that a hotplugged device is
 * built by the very code a start uses.  An option is "key=value,..." with
 * ",," for a comma inside a value; -device, -netdev and -object start with
 * their driver, type or class.  Dotted keys become nested objects
 * ("cache.direct=on" is {"cache": {"direct": true}}); "on"/"off" become
 * booleans where QEMU's schema is strict (blockdev-add, netdev_add,
 * object-add) and stay strings for device_add, which reads its arguments
 * as QemuOpts as -device does.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "hotplug.h"
#include "log.h"

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

int hotplug_undo_push(struct hotplug_undo *undo, const char *cmd, json_object *args)
{
    if (undo->n == MV_ARRAY_SIZE(undo->cmd) || !(undo->cmd[undo->n] = strdup(cmd))) {
        json_object_put(args);
        return -ENOMEM;
    }
    undo->args[undo->n++] = args;
    return 0;
}

void hotplug_qmp_try(struct qemud_dom *dom, const char *cmd, json_object *args)
{
    struct mv_err err = { 0 };

    if (qemud_monitor_command(dom, cmd, args, NULL, &err) < 0) {
        mv_warn("domain '%s': %s", dom->name, err.message ? err.message : cmd);
        mv_err_clear(&err);
    }
}

void hotplug_undo_run(struct qemud_dom *dom, struct hotplug_undo *undo)
{
    while (undo->n > 0) {
        undo->n--;
        hotplug_qmp_try(dom, undo->cmd[undo->n], TAKE_PTR(undo->args[undo->n]));
        free(TAKE_PTR(undo->cmd[undo->n]));
    }
}

void hotplug_undo_clear(struct hotplug_undo *undo)
{
    for (size_t i = 0; i < undo->n; i++) {
        free(undo->cmd[i]);
        json_object_put(undo->args[i]);
    }
    undo->n = 0;
}

/* The command that takes back ARGS of option K: {"id": ...} of it. */
static int push_undo(struct hotplug_undo *undo, size_t k, json_object *args)
{
    json_object *id, *u;

    if (!option_cmds[k].undo || !json_object_object_get_ex(args, option_cmds[k].id_key, &id))
        return 0;
    if (!(u = json_object_new_object()) ||
        json_object_object_add(u, option_cmds[k].undo_key, json_object_get(id)) < 0) {
        json_object_put(u);
        return -ENOMEM;
    }
    return hotplug_undo_push(undo, option_cmds[k].undo, u);
}

int hotplug_qmp_run(struct qemud_dom *dom, char **argv, bool want_device, struct hotplug_undo *undo,
                    struct mv_err *err)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i += 2) {
        size_t k = 0;
        json_object *args;
        int r;

        while (k < MV_ARRAY_SIZE(option_cmds) && strcmp(option_cmds[k].flag, argv[i]) != 0)
            k++;
        if (k == MV_ARRAY_SIZE(option_cmds))
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                              "internal error: option '%s' of a device of domain '%s' has no QMP command",
                              argv[i], dom->name);
        if (!want_device && strcmp(argv[i], "-device") == 0)
            continue;
        if (!(args = option_args(argv[i + 1], option_cmds[k].lead, option_cmds[k].typed)))
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                              "internal error: cannot turn '%s %s' into QMP", argv[i], argv[i + 1]);
        /* the undo is recorded once QEMU took it */
        json_object_get(args);
        r = qemud_monitor_command(dom, option_cmds[k].cmd, args, NULL, err);
        if (r == 0)
            r = push_undo(undo, k, args);
        json_object_put(args);
        if (r < 0)
            return r;
    }
    return 0;
}
