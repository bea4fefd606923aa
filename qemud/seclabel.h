/*
 * What a domain's <seclabel> means on this host: which LSMs the host runs
 * (the command line refuses SELinux/AppArmor labels by the missing LSM),
 * and the labels a running guest gets: a dynamic DAC label is the
 * guest's own identity (guest_identity.h), "+0:+0" only with user = "root".
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "guest_isolation.h"

/* Whether the host runs SELinux (selinuxfs mounted) and AppArmor (enabled). */
void qemud_host_lsms(bool *selinux, bool *apparmor);

/* Fills the live labels of LIVE's dynamic DAC seclabels with ID, the user
 * and group QEMU runs as ("+0:+0" when ID is unset).  0 or -ENOMEM. */
int qemud_seclabels_live(struct mv_dom_def *live, const struct qemud_guest_id *id);
