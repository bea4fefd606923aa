/* Security labels on this host (seclabel.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "seclabel.h"

/* uid:gid QEMU runs as, in libvirt's numeric "+uid:+gid" form */
#define QEMU_DAC_LABEL "+0:+0"

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

static int set_label(char **field)
{
    char *v = strdup(QEMU_DAC_LABEL);

    if (!v)
        return -ENOMEM;
    free(*field);
    *field = v;
    return 0;
}

int qemud_seclabels_live(struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->nseclabels; i++) {
        struct mv_dom_seclabel *s = &live->seclabels[i];
        bool dynamic = s->type == MV_DOM_SECLABEL_DYNAMIC || s->type == MV_DOM_SECLABEL_DEFAULT;
        bool dac = !s->model || strcmp(s->model, "dac") == 0;

        if (dynamic && dac && (set_label(&s->label) < 0 || set_label(&s->imagelabel) < 0))
            return -ENOMEM;
    }
    return 0;
}
