/* swtpm_setup's configuration, the daemon's own (tpm_setup_conf.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "file.h"
#include "paths.h"
#include "tpm_setup_conf.h"

/* One file of DIR: NAME with CONTENT, 0600 (the CA's paths are no secret,
 * but nobody else has a reason to read them). */
static int write_one(const char *dir, const char *name, const char *content, const char *domname,
                     struct mv_err *err)
{
    _cleanup_free_ char *path = NULL;
    int r;

    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = mv_file_write_atomic(path, content, strlen(content), 0600)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot write '%s' for the TPM of domain '%s'", path, domname);
    return 0;
}

static int write_files(const char *dir, const char *ca, const char *localca, const char *domname,
                       struct mv_err *err)
{
    _cleanup_free_ char *setup = NULL, *ca_conf = NULL;
    /* who made the platform: this daemon, for a QEMU machine */
    const char *options = "--platform-manufacturer modvirt\n--platform-version " PACKAGE_VERSION
                          "\n--platform-model QEMU\n";
    int r;

    if (asprintf(&setup,
                 "# written by modvirt-qemud at each TPM setup: changes are lost\n"
                 "create_certs_tool = %s\n"
                 "create_certs_tool_config = %s/swtpm-localca.conf\n"
                 "create_certs_tool_options = %s/swtpm-localca.options\n"
                 "active_pcr_banks = sha256\n", localca, dir, dir) < 0 ||
        asprintf(&ca_conf,
                 "statedir = %s\n"
                 "signingkey = %s/signkey.pem\n"
                 "issuercert = %s/issuercert.pem\n"
                 "certserial = %s/certserial\n", ca, ca, ca, ca) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = write_one(dir, "swtpm-localca.conf", ca_conf, domname, err)) < 0 ||
        (r = write_one(dir, "swtpm-localca.options", options, domname, err)) < 0 ||
        (r = write_one(dir, "swtpm_setup.conf", setup, domname, err)) < 0)
        return r;
    return 0;
}

int qemud_tpm_setup_config(const char *statedir, const char *localca, const char *domname, char **conf,
                           struct mv_err *err)
{
    _cleanup_free_ char *dir = NULL, *ca = NULL, *path = NULL;
    int r;

    *conf = NULL;
    if (strpbrk(statedir, "$\n#"))
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: the TPM of domain '%s' cannot be set up under '%s': "
                          "swtpm_setup's configuration takes no '$', '#' or newline in a path", domname, statedir);
    if (asprintf(&dir, "%s/swtpm", statedir) < 0 || asprintf(&ca, "%s/localca", dir) < 0 ||
        asprintf(&path, "%s/swtpm_setup.conf", dir) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = mv_mkdir_p(ca, 0700)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the TPM certificate authority directory '%s' for domain '%s'", ca,
                                domname);
    if ((r = write_files(dir, ca, localca, domname, err)) < 0)
        return r;
    *conf = TAKE_PTR(path);
    return 0;
}
