/*
 * The host's memory as a domain's <memoryBacking> and <numatune> need it:
 * the NUMA nodes that hold memory, the huge page sizes with their free
 * pages and hugetlbfs mounts.  Read from <sysroot>/proc and /sys at every
 * start: free huge pages come and go.
 */
#pragma once

#include <stddef.h>

#include "qemu_command.h"

struct mv_host_memory {
    unsigned int *nodes;            /* ascending */
    size_t nnodes;
    struct mv_qemu_hugepages *pages;    /* the default size first; mounts owned */
    size_t npages;
};

/* Fills M (zeroed); 0 or -errno (-ENOMEM; a host without NUMA or huge
 * pages in sysfs is not an error: those lists stay empty). */
int mv_host_memory_read(const char *sysroot, struct mv_host_memory *m);

/* Frees what M owns and zeroes it. */
void mv_host_memory_clear(struct mv_host_memory *m);
