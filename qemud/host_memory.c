/*
 * Host memory facts for the command line: see host_memory.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "host_memory.h"
#include "sysfs.h"

void mv_host_memory_clear(struct mv_host_memory *m)
{
    free(m->nodes);
    for (size_t i = 0; i < m->npages; i++)
        free((char *)m->pages[i].mount);
    free(m->pages);
    *m = (struct mv_host_memory){ 0 };
}

/* Nodes with memory (N_MEMORY); older kernels only say which are online. */
static int read_nodes(const char *sysroot, struct mv_host_memory *m)
{
    _cleanup_free_ char *list = NULL;
    _cleanup_free_ int *ids = NULL;
    int n = 0, r;

    r = mv_sysfs_read(sysroot, "/sys/devices/system/node/has_memory", &list);
    if (r == -ENOENT)
        r = mv_sysfs_read(sysroot, "/sys/devices/system/node/online", &list);
    if (r == -ENOENT)
        return 0;       /* no NUMA in this kernel: QEMU could not bind memory either */
    if (r < 0 || (r = mv_sysfs_parse_idlist(list, &ids, &n)) < 0)
        return r;
    m->nodes = calloc((size_t)n + 1, sizeof(*m->nodes));
    if (!m->nodes)
        return -ENOMEM;
    for (int i = 0; i < n; i++)
        m->nodes[i] = (unsigned int)ids[i];
    m->nnodes = (size_t)n;
    return 0;
}

/* Each hugepages-<N>kB directory: a page size and its free pages. */
static int read_sizes(const char *sysroot, struct mv_host_memory *m)
{
    _cleanup_free_ char *dir = mv_sysfs_path(sysroot, "/sys/kernel/mm/hugepages");
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (!dir)
        return -ENOMEM;
    if (!(d = opendir(dir)))
        return errno == ENOENT ? 0 : -errno;
    while (r >= 0 && (e = readdir(d))) {
        unsigned long long kib, free_pages;
        struct mv_qemu_hugepages *grown;
        char unit[4];

        if (sscanf(e->d_name, "hugepages-%llu%3s", &kib, unit) != 2 || strcmp(unit, "kB") != 0)
            continue;
        /* a pool whose count cannot be read offers nothing: never a reason
         * to fail the start of a guest that wants no huge pages */
        if (mv_sysfs_read_ullf(sysroot, &free_pages, "/sys/kernel/mm/hugepages/%s/free_hugepages",
                               e->d_name) < 0)
            free_pages = 0;
        grown = reallocarray(m->pages, m->npages + 1, sizeof(*grown));
        if (!grown) {
            r = -ENOMEM;
            break;
        }
        m->pages = grown;
        m->pages[m->npages++] = (struct mv_qemu_hugepages){ .page_kib = kib, .free_pages = free_pages };
    }
    closedir(d);
    return r;
}

/* Puts the size /proc/meminfo calls Hugepagesize first (what <hugepages>
 * without a <page> means); returns it in KiB, 0 if unknown. */
static unsigned long long default_first(const char *sysroot, struct mv_host_memory *m)
{
    _cleanup_free_ char *meminfo = NULL;
    unsigned long long kib = 0;

    if (mv_sysfs_read(sysroot, "/proc/meminfo", &meminfo) < 0 ||
        mv_sysfs_find_ull(meminfo, NULL, "Hugepagesize", &kib) < 0)
        return 0;
    for (size_t i = 1; i < m->npages; i++)
        if (m->pages[i].page_kib == kib) {
            struct mv_qemu_hugepages t = m->pages[0];

            m->pages[0] = m->pages[i];
            m->pages[i] = t;
        }
    return kib;
}

/* "pagesize=2M" among a hugetlbfs mount's options, in KiB; DEFAULT_KIB without one. */
static unsigned long long mount_page_kib(char *opts, unsigned long long default_kib)
{
    for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        unsigned long long v;
        char unit = 0;

        if (sscanf(o, "pagesize=%llu%c", &v, &unit) < 1)
            continue;
        return unit == 'G' ? v << 20 : unit == 'M' ? v << 10 : unit == 'K' ? v : v >> 10;
    }
    return default_kib;
}

static int read_mounts(const char *sysroot, struct mv_host_memory *m, unsigned long long default_kib)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_sysfs_read(sysroot, "/proc/mounts", &text);

    if (r < 0)
        return r == -ENOENT ? 0 : r;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char path[4096], type[32], opts[1024];
        unsigned long long kib;

        /* a path with escapes (\040 for a space) is left out rather than decoded */
        if (sscanf(line, "%*s %4095s %31s %1023s", path, type, opts) != 3 || strcmp(type, "hugetlbfs") != 0 ||
            strchr(path, '\\'))
            continue;
        kib = mount_page_kib(opts, default_kib);
        for (size_t i = 0; i < m->npages; i++)
            if (m->pages[i].page_kib == kib && !m->pages[i].mount && !(m->pages[i].mount = strdup(path)))
                return -ENOMEM;
    }
    return 0;
}

int mv_host_memory_read(const char *sysroot, struct mv_host_memory *m)
{
    int r = read_nodes(sysroot, m);

    if (r >= 0)
        r = read_sizes(sysroot, m);
    if (r >= 0)
        r = read_mounts(sysroot, m, default_first(sysroot, m));
    if (r < 0)
        mv_host_memory_clear(m);
    return r;
}
