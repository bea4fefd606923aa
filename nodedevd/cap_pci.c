/*
 * The pci capability: a PCI function as libvirt 9.0's udev backend
 * describes it (udevProcessPCI and the node device XML of a PCI device).
 *
 * What comes from where:
 *   class              the uevent's PCI_CLASS (no <class> without it)
 *   domain..function   the sysfs name, 0000:00:1f.2
 *   vendor, product    the "vendor" and "device" attributes, names from pci.ids
 *   phys_function      the "physfn" link of an SR-IOV VF
 *   virt_functions     "sriov_totalvfs" (maxCount) and the virtfn0, virtfn1... links
 *   pci-bridge         the header type in the config space
 *   mdev_types         mdev_supported_types (cap_mdev.c reads and writes it)
 *   iommuGroup         the "iommu_group" link and the group's devices
 *   numa               the "numa_node" attribute (none when -1)
 *   pci-express        the config space: the PCI Express capability and its
 *                      link capabilities / status registers
 *
 * libvirt drops a PCI device whose config space cannot be read or whose SR-IOV
 * links do not resolve; nodedevd lists it without the parts it could not
 * read, so that one odd device does not disappear from the tree.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "caps.h"
#include "cleanup.h"
#include "file.h"
#include "pci_ids.h"
#include "sysfs.h"

/* A PCI function has at most 65535 VFs (sriov_totalvfs is 16 bits); a group
 * of more than this many functions is not a real IOMMU group. */
#define PCI_VFS_MAX 65536
#define PCI_GROUP_MAX 4096

/* Config space: what libvirt's virpci.c reads of it. */
#define PCI_CONF_LEN 0x100          /* a conventional function's config file */
#define PCI_CONF_READ 0x200         /* the capability list lies below 0x100, its registers just above */
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_CAPABILITY_LIST 0x34
#define PCI_CONF_HEADER_LEN 0x40
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_LIST_MAX 48         /* (0x100 - 0x40) / 4: more means a loop */
#define PCI_EXP_FLAGS 0x02
#define PCI_EXP_FLAGS_TYPE 0x00f0
#define PCI_EXP_TYPE_ROOT_INT_EP 0x9
#define PCI_EXP_TYPE_RC_EC 0xa
#define PCI_EXP_LNKCAP 0x0c
#define PCI_EXP_LNKSTA 0x12

struct pci_link {
    int port;                       /* -1: not written (the status has none) */
    unsigned int speed, width;
};

struct pci_addr_list {
    struct nodedev_pci_addr *v;
    size_t n;
};

struct pci_cap {
    int klass;                      /* -1: no PCI_CLASS */
    struct nodedev_pci_addr addr;
    unsigned int vendor, product;
    char *vendor_name, *product_name;
    bool is_vf;
    struct nodedev_pci_addr pf;
    unsigned int max_vfs;
    struct pci_addr_list vfs;
    int hdr_type;                   /* 0 endpoint, 1 pci-bridge, 2 cardbus-bridge */
    struct nodedev_mdev_types *mdev_types;
    int iommu_group;                /* -1: none */
    struct pci_addr_list group;
    int numa_node;                  /* -1: none */
    bool pcie, pcie_link;
    struct pci_link link_cap, link_sta;
};

static void pci_cap_free(void *data)
{
    struct pci_cap *c = data;

    if (!c)
        return;
    free(c->vendor_name);
    free(c->product_name);
    free(c->vfs.v);
    free(c->group.v);
    nodedev_mdev_types_free(c->mdev_types);
    free(c);
}

static void pci_cap_freep(struct pci_cap **c)
{
    pci_cap_free(*c);
}

/* "0000:00:1f.2" (hex fields, the domain up to 32 bits) into *A. */
static int parse_addr(const char *s, struct nodedev_pci_addr *a)
{
    unsigned long v[4];
    const char seps[4] = { ':', ':', '.', '\0' };
    static const unsigned long max[4] = { 0xffffffffUL, 0xff, 0x1f, 0x7 };
    const char *p = s;

    for (int i = 0; i < 4; i++) {
        char *end;

        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return -EINVAL;
        errno = 0;
        v[i] = strtoul(p, &end, 16);
        if (errno || end - p > 8 || v[i] > max[i] || *end != seps[i])
            return -EINVAL;
        p = end + 1;
    }
    *a = (struct nodedev_pci_addr){ (unsigned int)v[0], (unsigned int)v[1], (unsigned int)v[2], (unsigned int)v[3] };
    return 0;
}

/* The address a link below SYSPATH (physfn, virtfn3) points to; -ENOENT
 * when there is no such link. */
static int link_addr(const char *syspath, const char *link, struct nodedev_pci_addr *a)
{
    _cleanup_free_ char *path = NULL, *target = NULL;
    const char *base;

    if (asprintf(&path, "%s/%s", syspath, link) < 0)
        return -ENOMEM;
    if (!(target = realpath(path, NULL)))
        return -errno;
    base = strrchr(target, '/');
    return parse_addr(base ? base + 1 : target, a);
}

static int addr_list_add(struct pci_addr_list *l, const struct nodedev_pci_addr *a)
{
    struct nodedev_pci_addr *v = reallocarray(l->v, l->n + 1, sizeof(*v));

    if (!v)
        return -ENOMEM;
    l->v = v;
    l->v[l->n++] = *a;
    return 0;
}

/* An unsigned attribute of D in BASE (16 with or without 0x, 10); -ENOENT, -EINVAL. */
static int attr_uint(sd_device *d, const char *attr, int base, unsigned long *out)
{
    const char *s;
    char *end;
    int r;

    if ((r = sd_device_get_sysattr_value(d, attr, &s)) < 0)
        return r;
    errno = 0;
    *out = strtoul(s, &end, base);
    if (errno || end == s || (*end && *end != '\n'))
        return -EINVAL;
    return 0;
}

/* The SR-IOV facts: physfn of a VF; sriov_totalvfs and virtfnN of a PF,
 * read like libvirt until the first missing virtfnN. */
static int read_sriov(const char *syspath, sd_device *d, struct pci_cap *c)
{
    unsigned long total;
    int r;

    c->is_vf = link_addr(syspath, "physfn", &c->pf) == 0;
    if (attr_uint(d, "sriov_totalvfs", 10, &total) == 0 && total < PCI_VFS_MAX)
        c->max_vfs = (unsigned int)total;
    for (unsigned int i = 0; i < PCI_VFS_MAX; i++) {
        struct nodedev_pci_addr a;
        char name[32];

        snprintf(name, sizeof(name), "virtfn%u", i);
        if ((r = link_addr(syspath, name, &a)) == -ENOMEM)
            return r;
        if (r < 0)
            break;
        if ((r = addr_list_add(&c->vfs, &a)) < 0)
            return r;
    }
    return 0;
}

/*
 * The order the kernel lists a sysfs directory in: kernfs keeps a
 * directory's entries sorted by a hash of their name (fs/kernfs/dir.c
 * kernfs_name_hash, with no namespace), and libvirt writes a group's
 * devices in readdir order.  Sorting by it gives libvirt's order on a real
 * host, and a stable one on a fixture (tmpfs lists in creation order).
 */
static uint32_t kernfs_name_hash(const char *name)
{
    unsigned long h = 0;
    uint32_t r;

    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h + ((unsigned long)*p << 4) + (*p >> 4)) * 11;
    /* end_name_hash(): hash_long(h, 32) */
    if (sizeof(unsigned long) == 8)
        r = (uint32_t)(((uint64_t)h * 0x61C8864680B583EBull) >> 32);
    else
        r = (uint32_t)h * 0x61C88647u;
    r &= 0x7fffffffu;
    if (r < 2)
        r += 2;
    if (r >= 0x7fffffffu)
        r = 0x7fffffffu - 1;
    return r;
}

struct group_entry {
    uint32_t hash;
    char name[64];
    struct nodedev_pci_addr addr;
};

static int group_entry_cmp(const void *a, const void *b)
{
    const struct group_entry *x = a, *y = b;

    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The functions in DIR (iommu_group/devices), in kernfs order. */
static int read_group_devices(const char *dir, struct pci_addr_list *out)
{
    _cleanup_free_ struct group_entry *v = NULL;
    size_t n = 0;
    DIR *dp;
    struct dirent *e;

    if (!(dp = opendir(dir)))
        return errno == ENOMEM ? -ENOMEM : 0;
    while ((e = readdir(dp)) && n < PCI_GROUP_MAX) {
        struct nodedev_pci_addr a;
        struct group_entry *nv;

        if (strlen(e->d_name) >= sizeof(v->name) || parse_addr(e->d_name, &a) < 0)
            continue;
        if (!(nv = reallocarray(v, n + 1, sizeof(*v)))) {
            closedir(dp);
            return -ENOMEM;
        }
        v = nv;
        v[n].hash = kernfs_name_hash(e->d_name);
        strcpy(v[n].name, e->d_name);
        v[n++].addr = a;
    }
    closedir(dp);
    if (n)
        qsort(v, n, sizeof(*v), group_entry_cmp);
    for (size_t i = 0; i < n; i++) {
        int r = addr_list_add(out, &v[i].addr);

        if (r < 0)
            return r;
    }
    return 0;
}

/* The IOMMU group: the number the iommu_group link names, and its devices. */
static int read_iommu_group(const char *syspath, struct pci_cap *c)
{
    _cleanup_free_ char *link = NULL, *devices = NULL;
    char base[NAME_MAX + 1];
    char *end;
    long num;

    if (asprintf(&link, "%s/iommu_group", syspath) < 0)
        return -ENOMEM;
    if (mv_sysfs_link_name(link, base, sizeof(base)) < 0)
        return 0;
    errno = 0;
    num = strtol(base, &end, 10);
    if (errno || end == base || *end || num < 0 || num > INT_MAX)
        return 0;
    c->iommu_group = (int)num;
    if (asprintf(&devices, "%s/devices", link) < 0)
        return -ENOMEM;
    return read_group_devices(devices, &c->group);
}

/* Reads the start of the config space into BUF (zero past the end of the
 * file, as libvirt reads it) and the file's length into *LEN. */
static int read_config(const char *syspath, uint8_t buf[PCI_CONF_READ], off_t *len)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;
    struct stat st;

    memset(buf, 0, PCI_CONF_READ);
    if (asprintf(&path, "%s/config", syspath) < 0)
        return -ENOMEM;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
        return -errno;
    ssize_t got = mv_pread_full(fd, buf, PCI_CONF_READ, 0);
    if (got < 0)
        return (int)got;
    *len = st.st_size;
    return 0;
}

static unsigned int rd16(const uint8_t *b, unsigned int pos)
{
    return (unsigned int)b[pos] | (unsigned int)b[pos + 1] << 8;
}

static uint32_t rd32(const uint8_t *b, unsigned int pos)
{
    return (uint32_t)rd16(b, pos) | (uint32_t)rd16(b, pos + 2) << 16;
}

/* The offset of the PCI Express capability, 0 if the list has none. */
static unsigned int find_pcie_cap(const uint8_t *cfg)
{
    unsigned int pos;

    if (!(rd16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    pos = cfg[PCI_CAPABILITY_LIST];
    for (int i = 0; i < PCI_CAP_LIST_MAX && pos >= PCI_CONF_HEADER_LEN && pos != 0xff; i++) {
        if (cfg[pos] == PCI_CAP_ID_EXP)
            return pos;
        pos = cfg[pos + 1];
    }
    return 0;
}

/*
 * The header type and PCI Express facts, as libvirt's virpci.c finds them.
 * A function without the PCI Express capability still counts as PCI
 * Express when its config file is not 256 bytes long: libvirt guesses so
 * (for readers who may not see past 64 bytes), which is why a host bridge
 * with an empty capability list but a 4 KiB config space shows
 * <pci-express/>.  The link registers exist except on root complex
 * integrated endpoints and event collectors.
 */
static void read_config_facts(const char *syspath, struct pci_cap *c)
{
    uint8_t cfg[PCI_CONF_READ];
    unsigned int pos, type;
    uint32_t lnkcap;
    unsigned int lnksta;
    off_t len = 0;

    if (read_config(syspath, cfg, &len) < 0)
        return;
    type = cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
    c->hdr_type = type <= 2 ? (int)type : 0;
    pos = find_pcie_cap(cfg);
    c->pcie = pos != 0 || len != PCI_CONF_LEN;
    if (!pos)
        return;
    type = (rd16(cfg, pos + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
    if (type == PCI_EXP_TYPE_ROOT_INT_EP || type == PCI_EXP_TYPE_RC_EC)
        return;
    lnkcap = rd32(cfg, pos + PCI_EXP_LNKCAP);
    lnksta = rd16(cfg, pos + PCI_EXP_LNKSTA);
    c->pcie_link = true;
    c->link_cap = (struct pci_link){ .port = (int)(lnkcap >> 24), .speed = lnkcap & 0xf,
                                     .width = (lnkcap & 0x3f0) >> 4 };
    c->link_sta = (struct pci_link){ .port = -1, .speed = lnksta & 0xf, .width = (lnksta & 0x3f0) >> 4 };
}

/* PCI_CLASS=60000 (hex, no 0x) from the uevent; -1 without it. */
static int read_class(sd_device *d)
{
    const char *s;
    char *end;
    long v;

    if (sd_device_get_property_value(d, "PCI_CLASS", &s) < 0)
        return -1;
    errno = 0;
    v = strtol(s, &end, 16);
    if (errno || end == s || *end || v < 0 || v > 0xffffff)
        return -1;
    return (int)v;
}

static int read_ids(sd_device *d, const struct nodedev_read_ctx *ctx, struct pci_cap *c)
{
    const struct nodedev_pci_ids *ids = ctx ? ctx->pci_ids : NULL;
    const char *name;
    unsigned long v;

    /* like libvirt, an unreadable id is 0 */
    c->vendor = attr_uint(d, "vendor", 16, &v) == 0 && v <= 0xffff ? (unsigned int)v : 0;
    c->product = attr_uint(d, "device", 16, &v) == 0 && v <= 0xffff ? (unsigned int)v : 0;
    if ((name = nodedev_pci_vendor_name(ids, c->vendor)) && !(c->vendor_name = strdup(name)))
        return -ENOMEM;
    if ((name = nodedev_pci_product_name(ids, c->vendor, c->product)) && !(c->product_name = strdup(name)))
        return -ENOMEM;
    return 0;
}

static int read_numa_node(sd_device *d)
{
    const char *s;
    char *end;
    long v;

    if (sd_device_get_sysattr_value(d, "numa_node", &s) < 0)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || (*end && *end != '\n') || v < -1 || v > INT_MAX)
        return -1;
    return (int)v;
}

static const struct nodedev_cap_ops pci_cap_ops;

int nodedev_cap_pci(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    _cleanup_(pci_cap_freep) struct pci_cap *c = NULL;
    const char *syspath, *sysname;
    bool has_mdev_types;
    int r;

    if ((r = sd_device_get_syspath(d, &syspath)) < 0 || (r = sd_device_get_sysname(d, &sysname)) < 0)
        return r;
    if (!(c = calloc(1, sizeof(*c))))
        return -ENOMEM;
    /* libvirt fails on a name that is no address: not a PCI function */
    if (parse_addr(sysname, &c->addr) < 0)
        return NODEDEV_READ_SKIP;
    c->klass = read_class(d);
    c->iommu_group = -1;
    c->numa_node = read_numa_node(d);
    if ((r = read_ids(d, ctx, c)) < 0 || (r = read_sriov(syspath, d, c)) < 0 ||
        (r = read_iommu_group(syspath, c)) < 0)
        return r;
    if ((r = nodedev_mdev_types_read(syspath, &c->mdev_types)) == -ENOMEM)
        return r;
    read_config_facts(syspath, c);

    dev->is_pci = true;
    dev->pci = c->addr;
    has_mdev_types = c->mdev_types != NULL;
    if ((r = nodedev_device_add_cap(dev, NODEDEV_CAP_PCI, &pci_cap_ops, TAKE_PTR(c))) < 0)
        return r;
    if (has_mdev_types && (r = nodedev_device_add_subcap(dev, NODEDEV_CAP_MDEV_TYPES)) < 0)
        return r;
    return 0;
}

/* <address domain='0x0000' bus='0x03' slot='0x00' function='0x1'/> */
static void format_addr(struct mv_xml_out *o, const struct nodedev_pci_addr *a)
{
    mv_xml_out_start(o, "address");
    mv_xml_out_attrf(o, "domain", "0x%04x", a->domain);
    mv_xml_out_attrf(o, "bus", "0x%02x", a->bus);
    mv_xml_out_attrf(o, "slot", "0x%02x", a->slot);
    mv_xml_out_attrf(o, "function", "0x%x", a->function);
    mv_xml_out_end(o);
}

/* NAME as libvirt's virBufferEscapeString writes text: quotes too become
 * entities ("Biostar Microtech Int&apos;l Corp"), which libxml2's text
 * escaping leaves alone.  New string or NULL. */
static char *escape_text(const char *name)
{
    size_t len = 0;
    char *out, *p;

    for (const char *s = name; *s; s++)
        len += *s == '<' || *s == '>' ? 4 : *s == '&' ? 5 : *s == '\'' || *s == '"' ? 6 : 1;
    if (!(out = p = malloc(len + 1)))
        return NULL;
    for (const char *s = name; *s; s++) {
        const char *ent = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" :
                          *s == '\'' ? "&apos;" : *s == '"' ? "&quot;" : NULL;

        if (ent)
            p = stpcpy(p, ent);
        else
            *p++ = *s;
    }
    *p = '\0';
    return out;
}

/* <product id='0x1041'>name</product>, or <product id='0x0d57'/> unnamed */
static void format_id(struct mv_xml_out *o, const char *elem, unsigned int id, const char *name)
{
    mv_xml_out_start(o, elem);
    mv_xml_out_attrf(o, "id", "0x%04x", id);
    if (name) {
        _cleanup_free_ char *text = escape_text(name);

        if (!text)
            o->failed = true;
        mv_xml_out_raw(o, text ? text : "");
    }
    mv_xml_out_end(o);
}

static void format_sriov(struct mv_xml_out *o, const struct pci_cap *c)
{
    if (c->is_vf) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "phys_function");
        format_addr(o, &c->pf);
        mv_xml_out_end(o);
    }
    if (c->max_vfs || c->vfs.n) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "virt_functions");
        if (c->max_vfs)
            mv_xml_out_attrf(o, "maxCount", "%u", c->max_vfs);
        for (size_t i = 0; i < c->vfs.n; i++)
            format_addr(o, &c->vfs.v[i]);
        mv_xml_out_end(o);
    }
}

static void format_link(struct mv_xml_out *o, const char *validity, const struct pci_link *l)
{
    /* libvirt's virPCIELinkSpeed names; an unknown code has no speed */
    static const char *const speeds[] = { NULL, "2.5", "5", "8", "16", "32", "64" };

    mv_xml_out_start(o, "link");
    mv_xml_out_attr(o, "validity", validity);
    if (l->port >= 0)
        mv_xml_out_attrf(o, "port", "%d", l->port);
    if (l->speed < MV_ARRAY_SIZE(speeds))
        mv_xml_out_attr(o, "speed", speeds[l->speed]);
    mv_xml_out_attrf(o, "width", "%u", l->width);
    mv_xml_out_end(o);
}

static void format_tail(struct mv_xml_out *o, const struct pci_cap *c)
{
    if (c->group.n) {
        mv_xml_out_start(o, "iommuGroup");
        mv_xml_out_attrf(o, "number", "%d", c->iommu_group);
        for (size_t i = 0; i < c->group.n; i++)
            format_addr(o, &c->group.v[i]);
        mv_xml_out_end(o);
    }
    if (c->numa_node >= 0) {
        mv_xml_out_start(o, "numa");
        mv_xml_out_attrf(o, "node", "%d", c->numa_node);
        mv_xml_out_end(o);
    }
    if (c->pcie) {
        mv_xml_out_start(o, "pci-express");
        if (c->pcie_link) {
            format_link(o, "cap", &c->link_cap);
            format_link(o, "sta", &c->link_sta);
        }
        mv_xml_out_end(o);
    }
}

/* libvirt's element order: ids, SR-IOV, bridge type, mdev types, IOMMU
 * group, NUMA node, PCI Express. */
static void pci_cap_format(struct mv_xml_out *o, const void *data)
{
    static const char *const hdr_types[] = { NULL, "pci-bridge", "cardbus-bridge" };
    const struct pci_cap *c = data;
    char num[16];

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "pci");
    if (c->klass >= 0) {
        snprintf(num, sizeof(num), "0x%06x", (unsigned int)c->klass);
        mv_xml_out_text_elem(o, "class", num);
    }
    snprintf(num, sizeof(num), "%u", c->addr.domain);
    mv_xml_out_text_elem(o, "domain", num);
    snprintf(num, sizeof(num), "%u", c->addr.bus);
    mv_xml_out_text_elem(o, "bus", num);
    snprintf(num, sizeof(num), "%u", c->addr.slot);
    mv_xml_out_text_elem(o, "slot", num);
    snprintf(num, sizeof(num), "%u", c->addr.function);
    mv_xml_out_text_elem(o, "function", num);
    format_id(o, "product", c->product, c->product_name);
    format_id(o, "vendor", c->vendor, c->vendor_name);
    format_sriov(o, c);
    if (c->hdr_type > 0) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", hdr_types[c->hdr_type]);
        mv_xml_out_end(o);
    }
    if (c->mdev_types)
        nodedev_mdev_types_format(o, c->mdev_types);
    format_tail(o, c);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops pci_cap_ops = {
    .format = pci_cap_format,
    .free = pci_cap_free,
};
