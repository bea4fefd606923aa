/* Security labels on this host (seclabel.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "seclabel.h"


/* Whether NAME is in LIST, the text of /sys/kernel/security/lsm (NULL:
 * unreadable, so not listed). */
static bool lsm_listed(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *t = list; t && *t; t += strcspn(t, ",\n"), t += strspn(t, ",\n"))
        if (strncmp(t, name, n) == 0 && (t[n] == '\0' || t[n] == ',' || t[n] == '\n'))
            return true;
    return false;
}

void qemud_host_lsms(bool *selinux, bool *apparmor)
{
    _cleanup_free_ char *list = NULL, *enabled = NULL;

    (void)mv_file_read_all("/sys/kernel/security/lsm", 4096, &list, NULL);   /* unreadable: none listed */
    *selinux = access("/sys/fs/selinux/enforce", F_OK) == 0 || lsm_listed(list, "selinux");
    *apparmor = lsm_listed(list, "apparmor") ||
                (mv_file_read_all("/sys/module/apparmor/parameters/enabled", 16, &enabled, NULL) == 0 &&
                 enabled[0] == 'Y');
}

/* The uid:gid QEMU runs as, in libvirt's numeric "+uid:+gid" form. */
static int set_label(char **field, const struct qemud_guest_id *id)
{
    char *v;

    if (asprintf(&v, "+%u:+%u", id->set ? (unsigned)id->uid : 0, id->set ? (unsigned)id->gid : 0) < 0)
        return -ENOMEM;
    free(*field);
    *field = v;
    return 0;
}

int qemud_seclabels_live(struct mv_dom_def *live, const struct qemud_guest_id *id)
{
    for (size_t i = 0; i < live->nseclabels; i++) {
        struct mv_dom_seclabel *s = &live->seclabels[i];
        bool dynamic = s->type == MV_DOM_SECLABEL_DYNAMIC || s->type == MV_DOM_SECLABEL_DEFAULT;
        bool dac = !s->model || strcmp(s->model, "dac") == 0;

        if (dynamic && dac && (set_label(&s->label, id) < 0 || set_label(&s->imagelabel, id) < 0))
            return -ENOMEM;
    }
    return 0;
}
