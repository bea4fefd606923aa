/*
 * What a domain's <seclabel> means on this host: which LSMs the host runs
 * (the command line refuses SELinux/AppArmor labels by the missing LSM),
 * and the labels a running guest gets.  QEMU runs as root until guest
 * isolation lands, so a dynamic DAC label is +0:+0 and the live XML says so.
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"

/* Whether the host runs SELinux (selinuxfs mounted) and AppArmor (enabled). */
void qemud_host_lsms(bool *selinux, bool *apparmor);

/* Fills the live labels of LIVE's dynamic DAC seclabels: "+0:+0", the user
 * and group QEMU runs as.  0 or -ENOMEM. */
int qemud_seclabels_live(struct mv_dom_def *live);
