/*
 * vol-upload and vol-download: a file's bytes into a volume and back, over
 * libmodvirt's transfer streams (client/storage_stream.c), with holes kept
 * as holes under --sparse.  Like virsh they print nothing on success; on a
 * terminal a progress bar shows the bytes moved, the rate and the time
 * left.  A download into a file this command created removes it again if
 * the transfer fails, as virsh does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"

/* The stream's progress into the bar: the total comes with it. */
static void on_progress(uint64_t done, uint64_t total, void *opaque)
{
    struct cli_progress *bar = opaque;

    cli_progress_set_total(bar, total);
    cli_progress_update(bar, done);
}

static int report(struct cli *cli, modvirt_storage_vol *vol, const char *action, const char *file)
{
    json_object *o;

    if (!cli->json)
        return CLI_EXIT_OK;
    o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(modvirt_storage_vol_get_name(vol)));
    json_object_object_add(o, "pool", json_object_new_string(modvirt_storage_vol_get_pool_name(vol)));
    json_object_object_add(o, "action", json_object_new_string(action));
    json_object_object_add(o, "file", json_object_new_string(file));
    return cli_json_print(o);
}

/* ---- vol-upload ---- */

static int cmd_vol_upload(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_(cli_progress_freep) struct cli_progress *bar = NULL;
    _cleanup_close_ int fd = open(args[1], O_RDONLY | O_CLOEXEC);
    modvirt_error *err = NULL;
    char label[80];
    int r;

    if (fd < 0) {
        cli_error("cannot open '%s' for reading: %s", args[1], strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if ((r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol)) != CLI_EXIT_OK)
        return r;
    snprintf(label, sizeof(label), "Uploading %s", modvirt_storage_vol_get_name(vol));
    bar = cli_progress_new(cli, label, 0);
    r = modvirt_storage_vol_upload(vol, fd, 0, 0, set[1] ? MODVIRT_VOL_TRANSFER_SPARSE : 0, on_progress, bar,
                                   &err);
    cli_progress_end(bar, r == 0);
    if (r < 0)
        return cli_failf(r, err, "failed to upload '%s' to vol '%s' of pool '%s'", args[1],
                         modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol));
    return report(cli, vol, "upload", args[1]);
}

/* ---- vol-download ---- */

/* FILE for writing: created if new (*CREATED), else truncated, as virsh. */
static int open_target(const char *file, bool *created)
{
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

    *created = fd >= 0;
    if (fd < 0 && errno == EEXIST)
        fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
    return fd;
}

static int cmd_vol_download(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_(cli_progress_freep) struct cli_progress *bar = NULL;
    _cleanup_close_ int fd = -1;
    modvirt_error *err = NULL;
    bool created;
    char label[80];
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol);

    if (r != CLI_EXIT_OK)
        return r;
    /* after the lookup: a volume that is not there leaves no file behind */
    if ((fd = open_target(args[1], &created)) < 0) {
        cli_error("cannot create '%s': %s", args[1], strerror(errno));
        return CLI_EXIT_USAGE;
    }
    snprintf(label, sizeof(label), "Downloading %s", modvirt_storage_vol_get_name(vol));
    bar = cli_progress_new(cli, label, 0);
    r = modvirt_storage_vol_download(vol, fd, 0, 0, set[1] ? MODVIRT_VOL_TRANSFER_SPARSE : 0, on_progress,
                                     bar, &err);
    cli_progress_end(bar, r == 0);
    if (r < 0) {
        if (created)
            unlink(args[1]);
        return cli_failf(r, err, "failed to download vol '%s' of pool '%s' to '%s'",
                         modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol), args[1]);
    }
    return report(cli, vol, "download", args[1]);
}

static const struct cli_flag transfer_flags[] = {
    { "pool", "the pool the volume is in", "POOL" },
    { "sparse", "move holes as holes: a sparse image stays sparse and moves fast", NULL },
    { NULL, NULL, NULL },
};

const struct cli_command cli_vol_transfer_commands[] = {
    { "vol-upload", "VOL FILE", "copy a file's content into a volume",
      "Replaces the volume's content with FILE's (on a terminal with a progress\n"
      "bar); the volume changes only once all of it arrived. VOL is a volume name\n"
      "(with --pool), a key or a path.",
      transfer_flags, 2, 2, cmd_vol_upload },
    { "vol-download", "VOL FILE", "copy a volume's content into a file",
      "Writes the volume's content to FILE (created, or truncated if it exists;\n"
      "on a terminal with a progress bar). VOL is a volume name (with --pool), a\n"
      "key or a path.",
      transfer_flags, 2, 2, cmd_vol_download },
};
const size_t cli_vol_transfer_ncommands = MV_ARRAY_SIZE(cli_vol_transfer_commands);
