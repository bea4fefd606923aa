/*
 * A domain's TPM on the host side: the emulated TPM is Debian's swtpm, a
 * sidecar (sidecar.h) started before QEMU, with its state per domain in
 * <statedir>/swtpm/<uuid>/tpm2 (tpm1.2 for a TPM 1.2), created by
 * swtpm_setup (with the daemon's own CA, tpm_setup_conf.h) on the first start (EK and its certificate, platform
 * certificate, NVRAM locked, as libvirt does) and kept across restarts and
 * re-definitions; the state goes with `virsh undefine --tpm`, or with a
 * plain undefine (or the stop of a transient domain) unless the definition
 * says persistent_state='yes', as in libvirt.  A passthrough TPM is only
 * checked: its device must exist.
 *
 * No qemud globals: the directories are arguments, so the unit tests run
 * the real swtpm the same way the daemon does.  Blocking (swtpm_setup takes
 * a second or more): run in a domain's job.
 */
#pragma once

#include <stdbool.h>

#include "domain_caps.h"
#include "domain_def.h"
#include "error.h"
#include "sidecar.h"

/* The id of the swtpm sidecar in a domain's set. */
#define QEMUD_TPM_SIDECAR "tpm0"

/* virDomainUndefineFlagsValues TPM and KEEP_TPM */
#define QEMUD_UNDEFINE_TPM (1u << 5)
#define QEMUD_UNDEFINE_KEEP_TPM (1u << 6)

struct qemud_tpm_dirs {
    const char *statedir;           /* the daemon's <statedir> (its state under swtpm/) */
};

/* The emulated TPM of LIVE, if any (NULL otherwise). */
const struct mv_dom_tpm *qemud_tpm_emulated(const struct mv_dom_def *def);

/*
 * Makes LIVE's TPM ready for QEMU.  Emulator: creates the state on the first
 * start (swtpm_setup; its output goes to LOG_FD, the domain's log), applies
 * <active_pcr_banks> to an existing state, and starts swtpm into SET, its
 * control socket listening at SOCKET (qemud_tpm_socket_path(), the path the
 * command line already names).  Passthrough: fails unless the device
 * exists; SOCKET unused.  No TPM: 0.
 * swtpm_setup runs with the daemon's own configuration and CA under
 * DIRS->statedir (tpm_setup_conf.h), never the host's /etc one.
 * On failure ERR names the domain and the cause (swtpm_setup's own last
 * words), and nothing runs; a first setup that fails leaves no state (it
 * is made aside and renamed into place when complete), while a state
 * created by this start stays when swtpm itself fails (a retry uses it).
 */
int qemud_tpm_start(struct qemud_sidecars *set, const char *domname, const char *uuid_str,
                    const struct mv_dom_def *live, const struct qemud_tpm_dirs *dirs, int log_fd,
                    const char *socket, struct mv_err *err);

/* The control socket swtpm listens on for domain UUID_STR, in its
 * directory RUNDIR/UUID_STR.d (domain_dir.h; malloc'd): the command line names it before swtpm is started. */
char *qemud_tpm_socket_path(const char *rundir, const char *uuid_str);

/* Whether undefining (FLAGS: QEMUD_UNDEFINE_*) or, FLAGS 0, stopping a
 * transient domain with DEF removes its TPM state: --tpm yes, --keep-tpm
 * no, neither: unless persistent_state='yes'.  False without an emulated TPM. */
bool qemud_tpm_state_goes(const struct mv_dom_def *def, unsigned int flags);

/* Removes the TPM state of domain UUID_STR (0 if there is none); -errno
 * with the cause logged, naming DOMNAME and the directory. */
int qemud_tpm_remove_state(const char *statedir, const char *uuid_str, const char *domname);

/* <statedir>/swtpm/<uuid>: the state of one domain (malloc'd). */
char *qemud_tpm_state_dir(const char *statedir, const char *uuid_str);

/* What this host offers for <tpm>, read now: swtpm and swtpm_setup
 * installed and answering --print-capabilities (their TPM versions), and a
 * host TPM device (/dev/tpm0) for passthrough. */
void qemud_tpm_probe(struct mv_domain_caps_tpm *caps);
