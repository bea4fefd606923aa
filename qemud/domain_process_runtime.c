/* What QEMU chose at start, read from its monitor into the live
 * definition: pty paths (the display ports: display_ports.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display_ports.h"
#include "domain_monitor.h"
#include "domain_process_priv.h"

static void fill_pty(struct mv_dom_chr *chrs, size_t n, const char *prefix, json_object *list)
{
    for (size_t i = 0; i < n; i++) {
        char label[32];

        if (chrs[i].type != MV_DOM_CHR_PTY)
            continue;
        snprintf(label, sizeof(label), "char%s%zu", prefix, i);
        for (size_t j = 0; j < json_object_array_length(list); j++) {
            json_object *e = json_object_array_get_idx(list, j), *l, *f;
            const char *fn;

            if (!json_object_object_get_ex(e, "label", &l) || strcmp(json_object_get_string(l), label) != 0 ||
                !json_object_object_get_ex(e, "filename", &f))
                continue;
            fn = json_object_get_string(f);
            if (strncmp(fn, "pty:", 4) == 0) {
                free(chrs[i].path);
                chrs[i].path = strdup(fn + 4);
            }
        }
    }
}

int qemud_process_query_runtime(struct qemud_dom *dom, struct mv_dom_def *live, struct mv_err *err)
{
    json_object *chardevs = NULL;
    int r;

    if ((r = qemud_monitor_command(dom, "query-chardev", NULL, &chardevs, err)) < 0)
        return r;
    fill_pty(live->devices.serials, live->devices.nserials, "serial", chardevs);
    fill_pty(live->devices.consoles, live->devices.nconsoles, "console", chardevs);
    /* a console of target type serial is serial 0's device: the <serial>'s,
     * or, with no <serial> (virt-install --graphics none writes a lone
     * <console type='pty'/>), the serial 0 QEMU made for the console */
    if (live->devices.nconsoles && live->devices.nserials && !live->devices.consoles[0].path &&
        live->devices.serials[0].path)
        live->devices.consoles[0].path = strdup(live->devices.serials[0].path);
    if (live->devices.nconsoles && !live->devices.nserials && !live->devices.consoles[0].path)
        fill_pty(live->devices.consoles, 1, "serial", chardevs);
    json_object_put(chardevs);
    return qemud_display_runtime(dom, live, err);
}
