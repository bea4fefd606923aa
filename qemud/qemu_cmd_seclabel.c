/*
 * <seclabel>: nothing goes on the command line; QEMU runs as root with no
 * LSM profile until guest isolation lands.  Accepted: type='none', and a
 * dynamic DAC label (what modvirt does today: root, shown as +0:+0 in the
 * live XML).  Refused by name: a static DAC label (it would ask for a user
 * QEMU does not run as), and SELinux/AppArmor labels (by the missing LSM
 * when the host has none, as not implemented otherwise).
 */
#include "qemu_command_priv.h"

static int check_lsm(struct cmd *c, const char *model, bool present, const char *lsm)
{
    if (!present)
        return cmd_refuse(c, "<seclabel model='%s'>: this host does not run %s", model, lsm);
    return cmd_refuse(c, "<seclabel model='%s'>: %s labels are not implemented by modvirt-qemud; "
                      "use model='dac' or type='none'", model, lsm);
}

int check_seclabels(struct cmd *c)
{
    for (size_t i = 0; i < c->def->nseclabels; i++) {
        const struct mv_dom_seclabel *s = &c->def->seclabels[i];

        if (s->type == MV_DOM_SECLABEL_NONE || streq(s->model, "none"))
            continue;
        if (streq(s->model, "selinux"))
            return check_lsm(c, "selinux", c->ctx->host_selinux, "SELinux");
        if (streq(s->model, "apparmor"))
            return check_lsm(c, "apparmor", c->ctx->host_apparmor, "AppArmor");
        if (s->type == MV_DOM_SECLABEL_STATIC)
            return cmd_refuse(c, "<seclabel type='static' model='dac'>: QEMU runs as root until guest "
                              "isolation is implemented; use type='dynamic' or type='none'");
    }
    return 0;
}
