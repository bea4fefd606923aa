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

static bool lsm_listed(const char *name)
{
    _cleanup_free_ char *list = NULL;
    char *save = NULL;

    if (mv_file_read_all("/sys/kernel/security/lsm", 4096, &list, NULL) < 0)
        return false;
    for (char *t = strtok_r(list, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save))
        if (strcmp(t, name) == 0)
            return true;
    return false;
}

void qemud_host_lsms(bool *selinux, bool *apparmor)
{
    _cleanup_free_ char *enabled = NULL;

    *selinux = access("/sys/fs/selinux/enforce", F_OK) == 0 || lsm_listed("selinux");
    *apparmor = lsm_listed("apparmor") ||
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
