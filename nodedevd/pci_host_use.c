/* What of the host uses a PCI function (pci_host_use.h). */
#define MV_LOG_MODULE "nodedevd.detach"
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "file.h"
#include "pci_host_use.h"
#include "sysfs.h"

/* device-mapper over md over a partition...: deeper is a loop in sysfs */
#define HOLDER_DEPTH_MAX 8
#define ADDRS_MAX 512

/* What the checks share: the tables read once per detach. */
struct host_use {
    const char *addr;
    char *mountinfo;            /* /proc/self/mountinfo: our namespace copied the host's mounts */
    char *swaps;                /* /proc/swaps */
    struct mv_err *err;
};

static int in_use(struct host_use *u, const char *what)
{
    mv_err_set(u->err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
               "Requested operation is not valid: PCI device %s is in use by the host: %s", u->addr, what);
    return -EBUSY;
}

/* Whether the class entry LINK (/sys/class/block/sda) resolves to a device
 * below SYSPATH (its realpath, with no trailing slash). */
static bool below(const char *link, const char *syspath)
{
    char real[PATH_MAX];
    size_t n = strlen(syspath);

    return realpath(link, real) && strncmp(real, syspath, n) == 0 && real[n] == '/';
}

/* The mount point of the filesystem on device DEVNO ("8:1") in MOUNTINFO
 * (field 3 is major:minor, field 5 the mount point), copied into OUT. */
static bool mounted(const char *mountinfo, const char *devno, char *out, size_t size)
{
    for (const char *line = mountinfo; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char dev[64], point[PATH_MAX];

        if (sscanf(line, "%*s %*s %63s %*s %4095s", dev, point) == 2 && strcmp(dev, devno) == 0) {
            snprintf(out, size, "%s", point);
            return true;
        }
    }
    return false;
}

/* Whether an entry of /proc/swaps is the block device DEVNO. */
static bool swapping(const char *swaps, const char *devno)
{
    unsigned int maj, min;

    if (!swaps || sscanf(devno, "%u:%u", &maj, &min) != 2)
        return false;
    for (const char *line = strchr(swaps, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char file[PATH_MAX];
        struct stat st;

        if (sscanf(line + 1, "%4095s", file) == 1 && stat(file, &st) == 0 && S_ISBLK(st.st_mode) &&
            major(st.st_rdev) == maj && minor(st.st_rdev) == min)
            return true;
    }
    return false;
}

/* Block device NAME (found below the function, through ON if it is a
 * holder: "dm-0" on "vda") mounted, swap, or held by a device that is. */
static int block_used(struct host_use *u, const char *name, const char *on, int depth)
{
    _cleanup_free_ char *devno = NULL, *holders = NULL;
    char point[PATH_MAX], who[NAME_MAX * 2 + 8], what[PATH_MAX + sizeof(who) + 64];
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (depth > HOLDER_DEPTH_MAX || mv_sysfs_read_linef(NULL, &devno, "/sys/class/block/%s/dev", name) < 0)
        return 0;
    if (on)
        snprintf(who, sizeof(who), "%s (on %s)", name, on);
    else
        snprintf(who, sizeof(who), "%s", name);
    if (mounted(u->mountinfo, devno, point, sizeof(point))) {
        snprintf(what, sizeof(what), "block device %s holds the mounted filesystem %s", who, point);
        return in_use(u, what);
    }
    if (swapping(u->swaps, devno)) {
        snprintf(what, sizeof(what), "block device %s is in use as swap", who);
        return in_use(u, what);
    }
    if (asprintf(&holders, "/sys/class/block/%s/holders", name) < 0 || !(d = opendir(holders)))
        return 0;
    while (r == 0 && (e = readdir(d)))
        if (e->d_name[0] != '.')
            r = block_used(u, e->d_name, on ? on : name, depth + 1);
    closedir(d);
    return r;
}

/* Every block device (disks and partitions) below SYSPATH. */
static int blocks_used(struct host_use *u, const char *syspath)
{
    DIR *d = opendir("/sys/class/block");
    struct dirent *e;
    char link[PATH_MAX];
    int r = 0;

    if (!d)
        return 0;       /* no block class at all: nothing to hold */
    while (r == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "/sys/class/block/%s", e->d_name);
        if (below(link, syspath))
            r = block_used(u, e->d_name, NULL, 0);
    }
    closedir(d);
    return r;
}

/* The addresses of interface NAME in IFS that show it is configured, as
 * text into OUT ("" if none): an IPv6 link-local address does not. */
static void iface_addrs(const struct ifaddrs *ifs, const char *name, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        char text[INET6_ADDRSTRLEN];
        const void *a;

        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0)
            continue;
        if (i->ifa_addr->sa_family == AF_INET)
            a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
        else if (i->ifa_addr->sa_family == AF_INET6 &&
                 !IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr))
            a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
        else
            continue;
        if (!inet_ntop(i->ifa_addr->sa_family, a, text, sizeof(text)))
            continue;
        len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s", len ? ", " : "", text);
    }
    if (len >= size && size > 4)
        strcpy(out + size - 4, "...");
}

/* Every network interface below SYSPATH, against the addresses of this
 * network namespace (the daemon's, the host's). */
static int ifaces_used(struct host_use *u, const char *syspath)
{
    DIR *d = opendir("/sys/class/net");
    struct ifaddrs *ifs = NULL;
    struct dirent *e;
    char link[PATH_MAX], addrs[ADDRS_MAX];
    int r = 0;

    if (!d)
        return 0;
    if (getifaddrs(&ifs) < 0) {
        r = -errno;
        closedir(d);
        return mv_err_set_errno(u->err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot read the addresses of the interfaces of PCI device %s", u->addr);
    }
    while (r == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "/sys/class/net/%s", e->d_name);
        if (!below(link, syspath))
            continue;
        iface_addrs(ifs, e->d_name, addrs, sizeof(addrs));
        if (addrs[0]) {
            char what[NAME_MAX + ADDRS_MAX + 32];

            snprintf(what, sizeof(what), "interface %s has addresses (%s)", e->d_name, addrs);
            r = in_use(u, what);
        }
    }
    freeifaddrs(ifs);
    closedir(d);
    return r;
}

int nodedev_pci_host_use(const char *syspath, const char *addr, struct mv_err *err)
{
    struct host_use u = { .addr = addr, .err = err };
    char real[PATH_MAX];
    int r;

    if (!realpath(syspath, real))
        return mv_err_set_errno(err, -errno, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                                "Node device not found: PCI device %s is gone (%s)", addr, syspath);
    if ((r = mv_file_read_all("/proc/self/mountinfo", MV_SYSFS_FILE_MAX, &u.mountinfo, NULL)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NODEDEV,
                                "cannot read /proc/self/mountinfo to check what uses PCI device %s", addr);
    /* no /proc/swaps: no swap support, so nothing swaps */
    (void)mv_file_read_all("/proc/swaps", MV_SYSFS_FILE_MAX, &u.swaps, NULL);
    r = blocks_used(&u, real);
    if (r == 0)
        r = ifaces_used(&u, real);
    free(u.mountinfo);
    free(u.swaps);
    return r;
}
