/* A domain's TPM on the host: swtpm state, swtpm as a sidecar, passthrough checks. */
#define MV_LOG_MODULE "qemud.tpm"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error_codes.h"
#include "file.h"
#include "log.h"
#include "paths.h"
#include "process.h"
#include "tpm.h"
#include "tpm_setup_conf.h"

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

/* What every swtpm_setup run of a domain is told. */
struct setup {
    const struct mv_dom_tpm *tpm;
    const char *domname, *uuid_str;
    const char *conf;               /* the daemon's own swtpm_setup.conf (tpm_setup_conf.h) */
    int log_fd;
};

/* swtpm_setup and the options every run takes into ARGV (room for 24),
 * the state in DIR; returns how many, the caller's own follow. */
static int setup_argv(const struct setup *su, const char *prog, const char *dir, const char **argv, char *vmid,
                      size_t vmid_len, char *banks, size_t banks_len)
{
    int n = 0;

    snprintf(vmid, vmid_len, "%s:%s", su->domname, su->uuid_str);   /* named in the EK certificate */
    argv[n++] = prog;
    if (is_v2(su->tpm))
        argv[n++] = "--tpm2";
    argv[n++] = "--tpm-state";
    argv[n++] = dir;
    argv[n++] = "--config";
    argv[n++] = su->conf;
    argv[n++] = "--vmid";
    argv[n++] = vmid;
    if (su->tpm->pcr_banks) {
        argv[n++] = "--pcr-banks";
        argv[n++] = pcr_bank_list(su->tpm->pcr_banks, banks, banks_len);
    }
    return n;
}

/* Runs swtpm_setup on DIR: a new state (EK with its certificate, platform
 * certificate, NVRAM locked, as libvirt does; --not-overwrite guards a
 * state that exists after all), or, RECONFIGURE, only the PCR banks. */
static int run_swtpm_setup(const struct setup *su, const char *dir, bool reconfigure, struct mv_err *err)
{
    _cleanup_free_ char *prog = find_prog("swtpm_setup");
    const char *argv[24];
    char vmid[512], banks[64];
    int n;

    if (!prog)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: domain '%s' has an emulated TPM, but swtpm_setup is "
                          "not installed (Debian package swtpm-tools)", su->domname);
    n = setup_argv(su, prog, dir, argv, vmid, sizeof(vmid), banks, sizeof(banks));
    if (reconfigure) {
        argv[n++] = "--reconfigure";
    } else {
        argv[n++] = "--createek";
        argv[n++] = "--create-ek-cert";
        argv[n++] = "--create-platform-cert";
        argv[n++] = "--lock-nvram";
        argv[n++] = "--not-overwrite";
    }
    argv[n] = NULL;
    return run_setup(argv, reconfigure ? "set the PCR banks of the TPM state" : "create the TPM state",
                     su->domname, dir, su->log_fd, err);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -errno : 0;
}

/* PATH and all below it; 0 if there is no PATH. */
static int remove_tree(const char *path)
{
    int r;

    if (access(path, F_OK) < 0)
        return errno == ENOENT ? 0 : -errno;
    r = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return r == 0 ? 0 : r < 0 ? r : -EIO;
}

/* DIR's files and DIR itself on disk before it is renamed into place. */
static int sync_tree(const char *dir)
{
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int lfd = dfd < 0 ? -1 : fcntl(dfd, F_DUPFD_CLOEXEC, 3);
    DIR *d = lfd < 0 ? NULL : fdopendir(lfd);
    struct dirent *e;
    int r = 0;

    if (!d) {
        r = -errno;
        if (lfd >= 0)
            close(lfd);
        return r;
    }
    while (r == 0 && (e = readdir(d))) {
        _cleanup_close_ int fd = -1;

        if (e->d_type == DT_REG && ((fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0))
            r = -errno;
    }
    closedir(d);
    return r < 0 ? r : fsync(dfd) < 0 ? -errno : 0;
}

/* The first start's state: made by swtpm_setup in DIR.new and renamed to
 * DIR only once complete, so a failed or killed setup never leaves a
 * state that looks made (a later start would skip creating the EK).  A
 * DIR.new found here is such a leftover. */
static int create_state(const struct setup *su, const char *dir, struct mv_err *err)
{
    _cleanup_free_ char *tmp = NULL;
    int r;

    if (asprintf(&tmp, "%s.new", dir) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = remove_tree(tmp)) < 0 || (mkdir(tmp, 0700) < 0 && (r = -errno) < 0))
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the TPM state directory '%s' of domain '%s'", tmp, su->domname);
    if ((r = run_swtpm_setup(su, tmp, false, err)) < 0) {
        remove_tree(tmp);
        return r;
    }
    /* rename() replaces an empty DIR (an older daemon's failed setup), never a state */
    if ((r = sync_tree(tmp)) < 0 || (rename(tmp, dir) < 0 && (r = -errno) < 0)) {
        remove_tree(tmp);
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot put the new TPM state of domain '%s' in place as '%s'", su->domname, dir);
    }
    return 0;
}

/* The state in DIR (under TOP, the domain's directory): created on the
 * first start; a later start only re-applies the PCR banks the definition
 * asks for.  A failed first setup leaves neither DIR nor an empty TOP. */
static int setup_state(const struct setup *su, const char *top, const char *dir, struct mv_err *err)
{
    _cleanup_free_ char *state = NULL;
    int r;

    if (asprintf(&state, "%s/%s", dir, is_v2(su->tpm) ? "tpm2-00.permall" : "tpm-00.permall") < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (access(state, F_OK) == 0)
        return su->tpm->pcr_banks ? run_swtpm_setup(su, dir, true, err) : 0;
    if ((r = mv_mkdir_p(top, 0700)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the TPM state directory '%s' of domain '%s'", top, su->domname);
    if ((r = create_state(su, dir, err)) < 0)
        rmdir(top);                     /* only if empty: a state of the other TPM version stays */
    return r;
}

/* The daemon's own swtpm_setup.conf under STATEDIR (tpm_setup_conf.h). */
static int own_config(const char *statedir, const char *domname, char **conf, struct mv_err *err)
{
    _cleanup_free_ char *localca = find_prog("swtpm_localca");

    if (!localca)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: domain '%s' has an emulated TPM, but swtpm_localca is "
                          "not installed (Debian package swtpm-tools)", domname);
    return qemud_tpm_setup_config(statedir, localca, domname, conf, err);
}

/* ---- swtpm: the sidecar ---- */

/* Directory paths go into swtpm's comma-separated options, which have no
 * escape for a comma; the socket path must fit a sockaddr_un. */
static int check_paths(const char *domname, const char *dir, const char *socket, struct mv_err *err)
{
    const char *bad = strchr(dir, ',') ? dir : strchr(socket, ',') ? socket : NULL;

    if (bad)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: the TPM of domain '%s' cannot use '%s': swtpm takes "
                          "no ',' in a path", domname, bad);
    if (!mv_unix_path_fits(socket))
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

    return asprintf(&path, "%s/%s.d/swtpm.sock", rundir, uuid_str) < 0 ? NULL : path;
}

int qemud_tpm_start(struct qemud_sidecars *set, const char *domname, const char *uuid_str,
                    const struct mv_dom_def *live, const struct qemud_tpm_dirs *dirs, int log_fd,
                    const char *socket, struct mv_err *err)
{
    const struct mv_dom_tpm *tpm = live->devices.ntpms ? &live->devices.tpms[0] : NULL;
    _cleanup_free_ char *top = NULL, *dir = NULL, *conf = NULL;
    struct setup su = { .tpm = tpm, .domname = domname, .uuid_str = uuid_str, .log_fd = log_fd };
    int r;

    if (!tpm)
        return 0;
    if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH)
        return check_passthrough(domname, tpm, err);
    if (!(top = qemud_tpm_state_dir(dirs->statedir, uuid_str)) ||
        asprintf(&dir, "%s/%s", top, is_v2(tpm) ? "tpm2" : "tpm1.2") < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (!socket)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: domain '%s' has an emulated TPM, but no swtpm socket was named", domname);
    if ((r = check_paths(domname, dir, socket, err)) < 0 ||
        (r = own_config(dirs->statedir, domname, &conf, err)) < 0)
        return r;
    su.conf = conf;
    if ((r = setup_state(&su, top, dir, err)) < 0)
        return r;
    return start_swtpm(set, domname, tpm, dir, socket, log_fd, err);
}

/* ---- undefine ---- */

bool qemud_tpm_state_goes(const struct mv_dom_def *def, unsigned int flags)
{
    const struct mv_dom_tpm *tpm = qemud_tpm_emulated(def);

    if (!tpm || (flags & QEMUD_UNDEFINE_KEEP_TPM))
        return false;
    return (flags & QEMUD_UNDEFINE_TPM) || tpm->persistent_state != MV_TRISTATE_YES;
}

int qemud_tpm_remove_state(const char *statedir, const char *uuid_str, const char *domname)
{
    _cleanup_free_ char *dir = qemud_tpm_state_dir(statedir, uuid_str);
    int r;

    if (!dir)
        return -ENOMEM;
    if (access(dir, F_OK) < 0)
        return errno == ENOENT ? 0 : -errno;
    if ((r = remove_tree(dir)) < 0) {
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
