/*
 * swtpm_setup's configuration, the daemon's own.  Without --config,
 * swtpm_setup reads /etc/swtpm_setup.conf, whose certificate tool signs
 * every EK and platform certificate with the host-wide CA in
 * /var/lib/swtpm-localca (creating it on first use, bumping its serial on
 * each).  A daemon with --root, or two test runs beside each other, would
 * then share and change host state.  So the daemon writes, under
 * <statedir>/swtpm:
 *   swtpm_setup.conf       the certificate tool (swtpm_localca) and its two files:
 *   swtpm-localca.conf     the CA's files, in <statedir>/swtpm/localca (0700)
 *   swtpm-localca.options  the fields of the platform certificate
 * and passes swtpm_setup --config.  The CA is made by swtpm_localca on its
 * first use, under its own lock in that directory.
 */
#pragma once

#include "error.h"

/*
 * Writes the three files (atomically; the same content each time, so
 * concurrent starts agree) for STATEDIR with LOCALCA the path of
 * swtpm_localca, and returns the path of swtpm_setup.conf (malloc'd) in
 * *CONF.  Refused, naming STATEDIR, when its path cannot be written in
 * those files ('$' would be taken for a variable, a newline ends a line).
 * ERR names DOMNAME and the file on failure.
 */
int qemud_tpm_setup_config(const char *statedir, const char *localca, const char *domname, char **conf,
                           struct mv_err *err);
