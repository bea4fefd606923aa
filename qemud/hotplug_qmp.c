/*
 * QMP for a hotplug: the builder's options of one device run as commands
 * (hotplug_json.c turns each into its command), the undo list.
 */
#define MV_LOG_MODULE "qemud.hotplug"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_monitor.h"
#include "hotplug.h"
#include "hotplug_json.h"
#include "log.h"

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

int hotplug_qmp_run(struct qemud_dom *dom, char **argv, bool want_device, struct hotplug_undo *undo,
                    struct mv_err *err)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i += 2) {
        struct hotplug_qmp q = { 0 };
        int r;

        if (!want_device && strcmp(argv[i], "-device") == 0)
            continue;
        if ((r = hotplug_option_qmp(argv[i], argv[i + 1], &q)) < 0)
            return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                              "internal error: cannot turn '%s %s' of a device of domain '%s' into QMP",
                              argv[i], argv[i + 1], dom->name);
        r = qemud_monitor_command(dom, q.cmd, TAKE_PTR(q.args), NULL, err);
        /* the undo is recorded once QEMU took it */
        if (r == 0 && q.undo_cmd)
            r = hotplug_undo_push(undo, q.undo_cmd, TAKE_PTR(q.undo_args));
        json_object_put(q.undo_args);
        if (r < 0)
            return r;
    }
    return 0;
}
