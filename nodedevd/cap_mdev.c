/*
 * Mediated devices as sysfs shows them: an mdev (a child of its parent
 * device, named by its UUID, subsystem "mdev") and the mdev types a parent
 * offers (PARENT/mdev_supported_types/TYPE with name, device_api and
 * available_instances), in libvirt 9.0's XML:
 *
 *   <capability type='mdev'>                <capability type='mdev_types'>
 *     <type id='i915-GVTg_V5_4'/>             <type id='i915-GVTg_V5_4'>
 *     <uuid>...</uuid>                          <name>GVTg_V5_4</name>
 *     <parent_addr>0000:00:02.0</parent_addr>   <deviceAPI>vfio-pci</deviceAPI>
 *     <iommuGroup number='3'/>                  <availableInstances>2</availableInstances>
 *     <attr name='..' value='..'/>            </type>
 *   </capability>                           </capability>
 */
#define MV_LOG_MODULE "nodedev.mdev"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "sysfs.h"
#include "utf8.h"

/* sysfs attribute files are a page at most */
#define ATTR_MAX 4096

struct mdev_cap {
    char *type;
    char *uuid;
    char *parent_addr;
    unsigned int iommu_group;
    struct nodedev_mdev_attr *attrs;
    size_t nattrs;
};

struct mdev_type {
    char *id;
    char *name;             /* optional in sysfs */
    char *device_api;
    unsigned int available;
};

struct nodedev_mdev_types {
    struct mdev_type *types;
    size_t n;
};

static nodedev_mdev_lookup_fn lookup_defined;

void nodedev_mdev_set_lookup(nodedev_mdev_lookup_fn fn)
{
    lookup_defined = fn;
}

/* ---- attributes ---- */

void nodedev_mdev_attrs_free(struct nodedev_mdev_attr *attrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(attrs[i].name);
        free(attrs[i].value);
    }
    free(attrs);
}

int nodedev_mdev_attrs_copy(const struct nodedev_mdev_attr *attrs, size_t n, struct nodedev_mdev_attr **out)
{
    struct nodedev_mdev_attr *c;

    *out = NULL;
    if (n == 0)
        return 0;
    if (!(c = calloc(n, sizeof(*c))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        c[i].name = strdup(attrs[i].name);
        c[i].value = strdup(attrs[i].value);
        if (!c[i].name || !c[i].value) {
            nodedev_mdev_attrs_free(c, n);
            return -ENOMEM;
        }
    }
    *out = c;
    return 0;
}

/* ---- the mdev capability ---- */

static void mdev_cap_free(void *data)
{
    struct mdev_cap *m = data;

    if (!m)
        return;
    free(m->type);
    free(m->uuid);
    free(m->parent_addr);
    nodedev_mdev_attrs_free(m->attrs, m->nattrs);
    free(m);
}

static void mdev_cap_format(struct mv_xml_out *o, const void *data)
{
    const struct mdev_cap *m = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "mdev");
    mv_xml_out_leaf(o, "type", "id", m->type);
    mv_xml_out_text_elem(o, "uuid", m->uuid);
    mv_xml_out_text_elem(o, "parent_addr", m->parent_addr);
    mv_xml_out_start(o, "iommuGroup");
    mv_xml_out_attrf(o, "number", "%u", m->iommu_group);
    mv_xml_out_end(o);
    for (size_t i = 0; i < m->nattrs; i++) {
        mv_xml_out_start(o, "attr");
        mv_xml_out_attr(o, "name", m->attrs[i].name);
        mv_xml_out_attr(o, "value", m->attrs[i].value);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops mdev_cap_ops = { .format = mdev_cap_format, .free = mdev_cap_free };

char *nodedev_mdev_name(const char *uuid, const char *parent_addr)
{
    return nodedev_make_name("mdev", uuid, parent_addr);
}

static struct mdev_cap *mdev_cap_new(const char *type, const char *uuid, const char *parent_addr)
{
    struct mdev_cap *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->type = strdup(type);
    m->uuid = strdup(uuid);
    m->parent_addr = parent_addr ? strdup(parent_addr) : NULL;
    if (!m->type || !m->uuid || (parent_addr && !m->parent_addr)) {
        mdev_cap_free(m);
        return NULL;
    }
    return m;
}

int nodedev_mdev_add_cap(struct nodedev_device *dev, const char *type, const char *uuid, const char *parent_addr,
                         const struct nodedev_mdev_attr *attrs, size_t nattrs)
{
    struct mdev_cap *m = mdev_cap_new(type, uuid, parent_addr);

    if (!m)
        return -ENOMEM;
    if (nodedev_mdev_attrs_copy(attrs, nattrs, &m->attrs) < 0) {
        mdev_cap_free(m);
        return -ENOMEM;
    }
    m->nattrs = nattrs;
    return nodedev_device_add_cap(dev, NODEDEV_CAP_MDEV, &mdev_cap_ops, m);
}

/* The last component of the target of the link DIR/NAME (mdev_type ->
 * .../mdev_supported_types/TYPE, iommu_group -> .../iommu_groups/N). */
static int link_basename(const char *dir, const char *name, char **out)
{
    _cleanup_free_ char *path = NULL;
    char base[NAME_MAX + 1];
    int r;

    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return -ENOMEM;
    if ((r = mv_sysfs_link_name(path, base, sizeof(base))) < 0)
        return r;
    return (*out = strdup(base)) ? 0 : -ENOMEM;
}

static int read_iommu_group(const char *syspath, unsigned int *group)
{
    _cleanup_free_ char *num = NULL;
    char *end;
    unsigned long v;
    int r;

    if ((r = link_basename(syspath, "iommu_group", &num)) < 0)
        return r;
    errno = 0;
    v = strtoul(num, &end, 10);
    if (errno || *end || end == num || v > UINT_MAX)
        return -EINVAL;
    *group = (unsigned int)v;
    return 0;
}

/* Persistent, autostart and the attributes of a defined mdev NAME. */
static int merge_defined(struct nodedev_device *dev, struct mdev_cap *m)
{
    bool autostart = false;
    int r;

    if (!lookup_defined)
        return 0;
    if ((r = lookup_defined(dev->name, &autostart, &m->attrs, &m->nattrs)) <= 0)
        return r;
    dev->persistent = true;
    dev->autostart = autostart;
    return 0;
}

int nodedev_cap_mdev(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    _cleanup_free_ char *type = NULL, *name = NULL;
    const char *syspath, *uuid, *parent_addr = NULL;
    struct mdev_cap *m;
    sd_device *parent;
    unsigned int group;
    int r;

    (void)ctx;
    if ((r = sd_device_get_syspath(d, &syspath)) < 0 || (r = sd_device_get_sysname(d, &uuid)) < 0)
        return r;
    if (sd_device_get_parent(d, &parent) >= 0)
        (void)sd_device_get_sysname(parent, &parent_addr);
    /* libvirt drops an mdev whose type or group it cannot read: the kernel
     * announces an mdev before its links exist, and a later uevent
     * ("bind") reads it again */
    if ((r = link_basename(syspath, "mdev_type", &type)) < 0) {
        mv_debug("mdev '%s': no mdev_type link yet: %s", syspath, strerror(-r));
        return r;
    }
    if ((r = read_iommu_group(syspath, &group)) < 0) {
        mv_debug("mdev '%s': cannot read its iommu_group: %s", syspath, strerror(-r));
        return r;
    }
    if (!(name = nodedev_mdev_name(uuid, parent_addr)) || !(m = mdev_cap_new(type, uuid, parent_addr)))
        return -ENOMEM;
    m->iommu_group = group;
    free(dev->name);
    dev->name = TAKE_PTR(name);
    if ((r = merge_defined(dev, m)) < 0) {
        mdev_cap_free(m);
        return r;
    }
    return nodedev_device_add_cap(dev, NODEDEV_CAP_MDEV, &mdev_cap_ops, m);
}

/* ---- a parent's mdev types ---- */

static void mdev_type_clear(struct mdev_type *t)
{
    free(t->id);
    free(t->name);
    free(t->device_api);
}

void nodedev_mdev_types_free(struct nodedev_mdev_types *types)
{
    if (!types)
        return;
    for (size_t i = 0; i < types->n; i++)
        mdev_type_clear(&types->types[i]);
    free(types->types);
    free(types);
}

/* The first line of DIR/ID/FILE (kernfs: read whole), as libvirt keeps
 * such text: control characters dropped; -EILSEQ if it is not UTF-8 (the
 * XML writer would refuse it, and the parent's XML with it). */
static int read_type_attr(const char *dir, const char *id, const char *file, char **out)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    char *w;
    int r;

    if (asprintf(&path, "%s/%s/%s", dir, id, file) < 0)
        return -ENOMEM;
    if ((r = mv_file_read_line(path, &text)) < 0)
        return r;
    if (!mv_utf8_valid(text, strlen(text)))
        return -EILSEQ;
    w = text;
    for (const char *p = text; *p; p++)
        if (!iscntrl((unsigned char)*p))
            *w++ = *p;
    *w = '\0';
    *out = TAKE_PTR(text);
    return 0;
}

/* Type ID of the parent's mdev_supported_types DIR; -ENOENT and friends
 * when it lacks what libvirt requires (device_api, available_instances). */
static int read_type(const char *dir, const char *id, struct mdev_type *t)
{
    _cleanup_free_ char *avail = NULL;
    char *end;
    unsigned long v;
    int r;

    if (!mv_utf8_valid(id, strlen(id)))
        return -EILSEQ;
    if (!(t->id = strdup(id)))
        return -ENOMEM;
    if ((r = read_type_attr(dir, id, "device_api", &t->device_api)) < 0 ||
        (r = read_type_attr(dir, id, "available_instances", &avail)) < 0)
        return r;
    /* the name is optional: one that is missing or not UTF-8 is left out */
    r = read_type_attr(dir, id, "name", &t->name);
    if (r < 0 && r != -ENOENT && r != -EILSEQ)
        return r;
    errno = 0;
    v = strtoul(avail, &end, 10);
    if (errno || end == avail || *end || v > UINT_MAX)
        return -EINVAL;
    t->available = (unsigned int)v;
    return 0;
}

static int type_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mdev_type *)a)->id, ((const struct mdev_type *)b)->id);
}

static int read_types(const char *dir, DIR *d, struct nodedev_mdev_types *types)
{
    struct dirent *e;
    int r;

    while ((errno = 0, e = readdir(d))) {
        struct mdev_type *grown, t = { 0 };

        if (e->d_name[0] == '.')
            continue;
        if ((r = read_type(dir, e->d_name, &t)) < 0) {
            mdev_type_clear(&t);
            if (r == -ENOMEM)
                return r;
            /* one broken type (a driver going away) does not hide the others */
            mv_debug("%s/%s: not an mdev type: %s", dir, e->d_name, strerror(-r));
            continue;
        }
        if (!(grown = reallocarray(types->types, types->n + 1, sizeof(*grown)))) {
            mdev_type_clear(&t);
            return -ENOMEM;
        }
        types->types = grown;
        types->types[types->n++] = t;
    }
    if (errno)
        return -errno;
    /* readdir's order is the directory's, not the kernel's creation order
     * on every file system: sorted, a fixture and the host read the same */
    if (types->n)
        qsort(types->types, types->n, sizeof(*types->types), type_cmp);
    return 0;
}

int nodedev_mdev_types_read(const char *syspath, struct nodedev_mdev_types **out)
{
    _cleanup_free_ char *dir = NULL;
    struct nodedev_mdev_types *types;
    DIR *d;
    int r;

    *out = NULL;
    if (asprintf(&dir, "%s/mdev_supported_types", syspath) < 0)
        return -ENOMEM;
    if (!(d = opendir(dir)))
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    if (!(types = calloc(1, sizeof(*types)))) {
        closedir(d);
        return -ENOMEM;
    }
    r = read_types(dir, d, types);
    closedir(d);
    if (r < 0 || types->n == 0) {
        nodedev_mdev_types_free(types);
        return r < 0 ? r : 0;
    }
    *out = types;
    return 0;
}

void nodedev_mdev_types_format(struct mv_xml_out *o, const struct nodedev_mdev_types *types)
{
    if (!types || types->n == 0)
        return;
    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "mdev_types");
    for (size_t i = 0; i < types->n; i++) {
        const struct mdev_type *t = &types->types[i];
        char avail[16];

        snprintf(avail, sizeof(avail), "%u", t->available);
        mv_xml_out_start(o, "type");
        mv_xml_out_attr(o, "id", t->id);
        mv_xml_out_text_elem(o, "name", t->name);
        mv_xml_out_text_elem(o, "deviceAPI", t->device_api);
        mv_xml_out_text_elem(o, "availableInstances", avail);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}
