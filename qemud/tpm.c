/* A domain's TPM on the host: swtpm state, swtpm as a sidecar, passthrough checks. */
#define MV_LOG_MODULE "qemud.tpm"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error_codes.h"
#include "log.h"
#include "paths.h"
#include "process.h"
#include "tpm.h"

/* swtpm_setup creates keys and certificates: a second here, far more on a
 * loaded machine */
#define SETUP_TIMEOUT_MS 120000
#define PROBE_TIMEOUT_MS 10000
#define HOST_TPM_DEVICE "/dev/tpm0"

static const char *const prog_dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin",
                                         "/sbin" };

/* NAME's absolute path in the standard directories (mv_process_* take no
 * bare names), or NULL if it is not installed. */
static char *find_prog(const char *name)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(prog_dirs); i++) {
        char *path = NULL;

        if (asprintf(&path, "%s/%s", prog_dirs[i], name) < 0)
            return NULL;
        if (access(path, X_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

const struct mv_dom_tpm *qemud_tpm_emulated(const struct mv_dom_def *def)
{
    for (size_t i = 0; def && i < def->devices.ntpms; i++)
        if (def->devices.tpms[i].backend == MV_DOM_TPM_BACKEND_EMULATOR)
            return &def->devices.tpms[i];
    return NULL;
}

char *qemud_tpm_state_dir(const char *statedir, const char *uuid_str)
{
    char *path = NULL;

    return asprintf(&path, "%s/swtpm/%s", statedir, uuid_str) < 0 ? NULL : path;
}

static bool is_v2(const struct mv_dom_tpm *tpm)
{
    return tpm->version == MV_DOM_TPM_VERSION_2_0;
}

/* "sha256,sha384" for swtpm_setup --pcr-banks (BUF of at least 32). */
static const char *pcr_bank_list(unsigned int banks, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int b = 0; b < MV_DOM_TPM_PCR_LAST; b++)
        if (banks & (1u << b))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", mv_dom_tpm_pcr_bank_to_string(b));
    return buf;
}

/* ---- swtpm_setup: the state ---- */

/* swtpm_setup's words into the domain's log, whatever the outcome. */
static void log_setup(int log_fd, const char *what, const struct mv_process_result *res)
{
    if (log_fd < 0)
        return;
    dprintf(log_fd, "swtpm_setup (%s):\n", what);
    if (res->out && res->out_len)
        dprintf(log_fd, "%s", res->out);
    dprintf(log_fd, "%s", res->err);
}

static int run_setup(const char *const *argv, const char *what, const char *domname, const char *dir,
                     int log_fd, struct mv_err *err)
{
    struct mv_process_run_opts opts = { .timeout_ms = SETUP_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *msg = NULL;
    int r = mv_process_run(argv, &opts, &res, &msg);

    log_setup(log_fd, what, &res);
    mv_process_result_clear(&res);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot %s of domain '%s' in '%s': %s", what, domname, dir,
                          msg ? msg : strerror(-r));
    return 0;
}

/* Creates the state in DIR on the first start, as libvirt does: an EK with
 * its certificate, a platform certificate, NVRAM locked; swtpm_setup's own
 * --not-overwrite guards a state that exists after all.  A later start
 * only re-applies the PCR banks the definition asks for. */
static int setup_state(const struct mv_dom_tpm *tpm, const char *domname, const char *dir, int log_fd,
                       struct mv_err *err)
{
    _cleanup_free_ char *setup = find_prog("swtpm_setup");
    _cleanup_free_ char *state = NULL;
    const char *argv[24];
    char banks[64];
    bool exists;
    int n = 0;

    if (!setup)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: domain '%s' has an emulated TPM, but swtpm_setup is "
                          "not installed (Debian package swtpm-tools)", domname);
    if (asprintf(&state, "%s/%s", dir, is_v2(tpm) ? "tpm2-00.permall" : "tpm-00.permall") < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    exists = access(state, F_OK) == 0;
    if (exists && !tpm->pcr_banks)
        return 0;
    argv[n++] = setup;
    if (is_v2(tpm))
        argv[n++] = "--tpm2";
    argv[n++] = "--tpm-state";
    argv[n++] = dir;
    if (exists) {
        argv[n++] = "--reconfigure";
    } else {
        argv[n++] = "--createek";
        argv[n++] = "--create-ek-cert";
        argv[n++] = "--create-platform-cert";
        argv[n++] = "--lock-nvram";
        argv[n++] = "--not-overwrite";
    }
    if (tpm->pcr_banks) {
        argv[n++] = "--pcr-banks";
        argv[n++] = pcr_bank_list(tpm->pcr_banks, banks, sizeof(banks));
    }
    argv[n] = NULL;
    return run_setup(argv, exists ? "set the PCR banks of the TPM state" : "create the TPM state", domname,
                     dir, log_fd, err);
}

/* ---- swtpm: the sidecar ---- */

/* Directory paths go into swtpm's comma-separated options, which have no
 * escape for a comma; the socket path must fit a sockaddr_un. */
static int check_paths(const char *domname, const char *dir, const char *socket, struct mv_err *err)
{
    struct sockaddr_un sa;
    const char *bad = strchr(dir, ',') ? dir : strchr(socket, ',') ? socket : NULL;

    if (bad)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: the TPM of domain '%s' cannot use '%s': swtpm takes "
                          "no ',' in a path", domname, bad);
    if (strlen(socket) >= sizeof(sa.sun_path))
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: the swtpm socket of domain '%s' ('%s') is longer "
                          "than a Unix socket path may be", domname, socket);
    return 0;
}

static int start_swtpm(struct qemud_sidecars *set, const char *domname, const struct mv_dom_tpm *tpm,
                       const char *dir, const char *socket, int log_fd, struct mv_err *err)
{
    _cleanup_free_ char *swtpm = find_prog("swtpm");
    _cleanup_free_ char *state = NULL, *ctrl = NULL;
    const char *argv[16];
    struct qemud_sidecar_spec spec = { .id = QEMUD_TPM_SIDECAR, .argv = argv, .socket_path = socket,
                                       .log_fd = log_fd };
    int n = 0;

    if (!swtpm)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: domain '%s' has an emulated TPM, but swtpm is not "
                          "installed (Debian package swtpm)", domname);
    if (asprintf(&state, "dir=%s,mode=0600", dir) < 0 || asprintf(&ctrl, "type=unixio,path=%s,mode=0600", socket) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    argv[n++] = swtpm;
    argv[n++] = "socket";
    if (is_v2(tpm))
        argv[n++] = "--tpm2";
    argv[n++] = "--tpmstate";
    argv[n++] = state;
    argv[n++] = "--ctrl";
    argv[n++] = ctrl;
    /* QEMU's end of the connection closing (QEMU gone) ends swtpm too */
    argv[n++] = "--terminate";
    argv[n] = NULL;
    return qemud_sidecar_start(set, domname, &spec, err);
}

static int check_passthrough(const char *domname, const struct mv_dom_tpm *tpm, struct mv_err *err)
{
    struct stat st;
    int r = stat(tpm->device_path, &st) < 0 ? -errno : 0;

    if (r == 0 && S_ISCHR(st.st_mode))
        return 0;
    return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                      "unsupported configuration: TPM passthrough device '%s' of domain '%s' %s",
                      tpm->device_path, domname,
                      r == -ENOENT ? "does not exist on this host" : r < 0 ? strerror(-r) : "is not a character device");
}

char *qemud_tpm_socket_path(const char *rundir, const char *uuid_str)
{
    char *path;

    return asprintf(&path, "%s/%s.swtpm.sock", rundir, uuid_str) < 0 ? NULL : path;
}

int qemud_tpm_start(struct qemud_sidecars *set, const char *domname, const char *uuid_str,
                    const struct mv_dom_def *live, const struct qemud_tpm_dirs *dirs, int log_fd,
                    char **socket, struct mv_err *err)
{
    const struct mv_dom_tpm *tpm = live->devices.ntpms ? &live->devices.tpms[0] : NULL;
    _cleanup_free_ char *top = NULL, *dir = NULL, *sock = NULL;
    int r;

    *socket = NULL;
    if (!tpm)
        return 0;
    if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH)
        return check_passthrough(domname, tpm, err);
    if (!(top = qemud_tpm_state_dir(dirs->statedir, uuid_str)) ||
        asprintf(&dir, "%s/%s", top, is_v2(tpm) ? "tpm2" : "tpm1.2") < 0 ||
        !(sock = qemud_tpm_socket_path(dirs->rundir, uuid_str)))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = check_paths(domname, dir, sock, err)) < 0)
        return r;
    if ((r = mv_mkdir_p(dir, 0700)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the TPM state directory '%s' of domain '%s'", dir, domname);
    if ((r = setup_state(tpm, domname, dir, log_fd, err)) < 0 ||
        (r = start_swtpm(set, domname, tpm, dir, sock, log_fd, err)) < 0)
        return r;
    *socket = TAKE_PTR(sock);
    return 0;
}

/* ---- undefine ---- */

bool qemud_tpm_state_goes(const struct mv_dom_def *def, unsigned int flags)
{
    const struct mv_dom_tpm *tpm = qemud_tpm_emulated(def);

    if (!tpm || (flags & QEMUD_UNDEFINE_KEEP_TPM))
        return false;
    return (flags & QEMUD_UNDEFINE_TPM) || tpm->persistent_state != MV_TRISTATE_YES;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -errno : 0;
}

int qemud_tpm_remove_state(const char *statedir, const char *uuid_str, const char *domname)
{
    _cleanup_free_ char *dir = qemud_tpm_state_dir(statedir, uuid_str);
    int r;

    if (!dir)
        return -ENOMEM;
    if (access(dir, F_OK) < 0)
        return errno == ENOENT ? 0 : -errno;
    r = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (r != 0) {
        r = r < 0 ? r : -EIO;
        mv_error("domain '%s': cannot remove its TPM state '%s': %s", domname, dir, strerror(-r));
        return r;
    }
    mv_info("domain '%s': TPM state '%s' removed", domname, dir);
    return 0;
}

/* ---- domain capabilities ---- */

/* PROG --print-capabilities (after ARG1 if not NULL): its JSON, or NULL. */
static char *print_capabilities(const char *name, const char *arg1)
{
    _cleanup_free_ char *prog = find_prog(name);
    const char *argv[] = { prog, arg1 ? arg1 : "--print-capabilities", arg1 ? "--print-capabilities" : NULL, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = PROBE_TIMEOUT_MS };
    struct mv_process_result res = { 0 };
    char *out = NULL;

    if (prog && mv_process_run(argv, &opts, &res, NULL) == 0)
        out = TAKE_PTR(res.out);
    mv_process_result_clear(&res);
    return out;
}

void qemud_tpm_probe(struct mv_domain_caps_tpm *caps)
{
    _cleanup_free_ char *swtpm = print_capabilities("swtpm", "socket");
    _cleanup_free_ char *setup = print_capabilities("swtpm_setup", NULL);
    struct stat st;

    *caps = (struct mv_domain_caps_tpm){ 0 };
    caps->passthrough = stat(HOST_TPM_DEVICE, &st) == 0 && S_ISCHR(st.st_mode);
    if (!swtpm || !setup)
        return;
    caps->v1_2 = strstr(swtpm, "\"tpm-1.2\"") && strstr(setup, "\"tpm-1.2\"");
    caps->v2_0 = strstr(swtpm, "\"tpm-2.0\"") && strstr(setup, "\"tpm-2.0\"");
    caps->emulator = caps->v1_2 || caps->v2_0;
}
