/*
 * The SCSI family as libvirt 9.0 shows it: a host adapter (scsi_host,
 * with fc_host and vport_ops when it is a Fibre Channel HBA), a target
 * (scsi_target, with fc_remote_port behind an FC rport), a logical unit
 * (scsi) and its generic node (scsi_generic).
 *
 * The FC facts live in the transport class devices below the SCSI
 * devices (host5/fc_host/host5, rport-5:0-0/fc_remote_ports/rport-5:0-0),
 * read relative to the device so that a fake sysfs tree needs no
 * /sys/class links.  An fc_host's WWNs are shown without their "0x", a
 * remote port's WWPN as sysfs has it: as libvirt does both.
 */
#include "caps.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "sysattr.h"

static void format_uint(struct mv_xml_out *o, const char *name, long long v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", v);
    mv_xml_out_text_elem(o, name, buf);
}

/* ATTR trimmed, into *OUT: -ENOENT when absent or empty */
static int read_attr(sd_device *d, const char *attr, char **out)
{
    _cleanup_free_ char *v = NULL;
    if (nodedev_attr_str(d, attr, &v) < 0)
        return -ENOMEM;
    if (!v)
        return -ENOENT;
    nodedev_trim(&v);
    if (!v)
        return -ENOENT;
    *out = TAKE_PTR(v);
    return 0;
}

/* ATTR, a WWN such as 0x20000000c9831b4b, as "20000000c9831b4b" (an
 * fc_host's WWNs; libvirt keeps a remote port's as sysfs has it) */
static int read_wwn(sd_device *d, const char *attr, char **out)
{
    _cleanup_free_ char *v = NULL;
    int r = read_attr(d, attr, &v);
    if (r < 0)
        return r;
    const char *p = strstr(v, "0x");
    *out = strdup(p ? p + 2 : v);
    return *out ? 0 : -ENOMEM;
}

/* True if the directory PATH (relative to D's sysfs directory) exists. */
static bool has_dir(sd_device *d, const char *path)
{
    const char *syspath;
    if (sd_device_get_syspath(d, &syspath) < 0)
        return false;
    _cleanup_free_ char *full = NULL;
    if (asprintf(&full, "%s/%s", syspath, path) < 0)
        return false;
    return access(full, F_OK) == 0;
}

/* ---- scsi_host ---------------------------------------------------------- */

struct scsi_host_cap {
    unsigned int host;
    int unique_id;                  /* -1: none */
    bool fc_host, vport_ops;
    char *wwnn, *wwpn, *fabric_wwn;
    int max_vports, vports;
};

static void scsi_host_free(void *data)
{
    struct scsi_host_cap *h = data;
    if (!h)
        return;
    free(h->wwnn);
    free(h->wwpn);
    free(h->fabric_wwn);
    free(h);
}

static void scsi_host_format(struct mv_xml_out *o, const void *data)
{
    const struct scsi_host_cap *h = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "scsi_host");
    format_uint(o, "host", h->host);
    if (h->unique_id != -1)
        format_uint(o, "unique_id", h->unique_id);
    if (h->fc_host) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "fc_host");
        mv_xml_out_text_elem(o, "wwnn", h->wwnn);
        mv_xml_out_text_elem(o, "wwpn", h->wwpn);
        mv_xml_out_text_elem(o, "fabric_wwn", h->fabric_wwn);
        mv_xml_out_end(o);
    }
    if (h->vport_ops) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "vport_ops");
        format_uint(o, "max_vports", h->max_vports);
        format_uint(o, "vports", h->vports);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops scsi_host_ops = { .format = scsi_host_format, .free = scsi_host_free };

/* fc_host/hostN: the WWNs (both needed) and the fabric's (optional) */
static int read_fc_host(sd_device *d, const char *dir, struct scsi_host_cap *h)
{
    char attr[128];
    snprintf(attr, sizeof(attr), "%s/port_name", dir);
    int r = read_wwn(d, attr, &h->wwpn);
    if (r < 0)
        return r;
    snprintf(attr, sizeof(attr), "%s/node_name", dir);
    if ((r = read_wwn(d, attr, &h->wwnn)) < 0)
        return r;
    snprintf(attr, sizeof(attr), "%s/fabric_name", dir);
    if ((r = read_wwn(d, attr, &h->fabric_wwn)) == -ENOMEM)
        return r;
    h->fc_host = true;
    return 0;
}

/* vport_create in fc_host/hostN: an NPIV-capable port, and its counts */
static int read_vport_ops(sd_device *d, const char *dir, struct scsi_host_cap *h)
{
    char attr[128];
    unsigned int max, used;
    snprintf(attr, sizeof(attr), "%s/max_npiv_vports", dir);
    int r = nodedev_attr_uint(d, attr, 10, &max);
    if (r < 0)
        return r;
    snprintf(attr, sizeof(attr), "%s/npiv_vports_inuse", dir);
    if ((r = nodedev_attr_uint(d, attr, 10, &used)) < 0)
        return r;
    h->max_vports = (int)max;
    h->vports = (int)used;
    h->vport_ops = true;
    return 0;
}

/* An FC HBA's facts; a half-readable one shows neither (libvirt's rule:
 * no confusing XML), only -ENOMEM fails the device. */
static int read_fc(sd_device *d, struct scsi_host_cap *h, const char *sysname)
{
    char dir[64], vport_create[80];
    snprintf(dir, sizeof(dir), "fc_host/%s", sysname);
    snprintf(vport_create, sizeof(vport_create), "%s/vport_create", dir);

    int r = 0;
    if (has_dir(d, dir))
        r = read_fc_host(d, dir, h);
    if (r == 0 && has_dir(d, vport_create))
        r = read_vport_ops(d, dir, h);
    if (r < 0) {
        h->fc_host = h->vport_ops = false;
        free(h->wwnn);
        free(h->wwpn);
        free(h->fabric_wwn);
        h->wwnn = h->wwpn = h->fabric_wwn = NULL;
    }
    return r == -ENOMEM ? r : 0;
}

static int read_scsi_host(sd_device *d, struct scsi_host_cap *h)
{
    const char *sysname;
    int r = sd_device_get_sysname(d, &sysname);
    if (r < 0)
        return r;
    /* hostN: N is the host number */
    int n = -1;
    if (strlen(sysname) > 32 || sscanf(sysname, "host%u%n", &h->host, &n) != 1 || sysname[n])
        return NODEDEV_READ_SKIP;

    char attr[80];
    unsigned int id;
    snprintf(attr, sizeof(attr), "scsi_host/%s/unique_id", sysname);
    h->unique_id = nodedev_attr_uint(d, attr, 10, &id) == 0 && id <= INT32_MAX ? (int)id : -1;
    return read_fc(d, h, sysname);
}

int nodedev_cap_scsi_host(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    struct scsi_host_cap *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    int r = read_scsi_host(d, h);
    if (r != 0) {
        scsi_host_free(h);
        return r;
    }
    /* the WWNs are what LOOKUP_SCSI_HOST_BY_WWN matches */
    if (nodedev_set_str(&dev->wwnn, h->wwnn) < 0 || nodedev_set_str(&dev->wwpn, h->wwpn) < 0) {
        scsi_host_free(h);
        return -ENOMEM;
    }
    bool fc = h->fc_host, vports = h->vport_ops;
    if ((r = nodedev_device_add_cap(dev, NODEDEV_CAP_SCSI_HOST, &scsi_host_ops, h)) < 0)
        return r;
    if (fc && (r = nodedev_device_add_subcap(dev, NODEDEV_CAP_FC_HOST)) < 0)
        return r;
    if (vports && (r = nodedev_device_add_subcap(dev, NODEDEV_CAP_VPORTS)) < 0)
        return r;
    return 0;
}

/* ---- scsi_target -------------------------------------------------------- */

struct scsi_target_cap {
    char *name;             /* target0:0:0 */
    char *rport, *wwpn;     /* its FC remote port, if any */
};

static void scsi_target_free(void *data)
{
    struct scsi_target_cap *t = data;
    if (!t)
        return;
    free(t->name);
    free(t->rport);
    free(t->wwpn);
    free(t);
}

static void scsi_target_format(struct mv_xml_out *o, const void *data)
{
    const struct scsi_target_cap *t = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "scsi_target");
    mv_xml_out_text_elem(o, "target", t->name);
    if (t->rport) {
        mv_xml_out_start(o, "capability");
        mv_xml_out_attr(o, "type", "fc_remote_port");
        mv_xml_out_text_elem(o, "rport", t->rport);
        mv_xml_out_text_elem(o, "wwpn", t->wwpn);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops scsi_target_ops = { .format = scsi_target_format, .free = scsi_target_free };

/* A target below an FC remote port (host5/rport-5:0-0/target5:0:0): the
 * rport's name and the remote WWPN from its fc_remote_ports class device. */
static int read_rport(sd_device *d, struct scsi_target_cap *t)
{
    sd_device *parent;
    const char *rport;
    if (sd_device_get_parent(d, &parent) < 0 || sd_device_get_sysname(parent, &rport) < 0 ||
        strncmp(rport, "rport-", 6) != 0 || strlen(rport) > 64)
        return 0;
    char attr[160];
    snprintf(attr, sizeof(attr), "fc_remote_ports/%s/port_name", rport);
    _cleanup_free_ char *wwpn = NULL;
    int r = read_attr(parent, attr, &wwpn);
    if (r < 0)
        return r == -ENOMEM ? r : 0;
    if (!(t->rport = strdup(rport)))
        return -ENOMEM;
    t->wwpn = TAKE_PTR(wwpn);
    return 0;
}

int nodedev_cap_scsi_target(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    const char *sysname;
    int r = sd_device_get_sysname(d, &sysname);
    if (r < 0)
        return r;
    struct scsi_target_cap *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(sysname)) || read_rport(d, t) < 0) {
        scsi_target_free(t);
        return -ENOMEM;
    }
    return nodedev_device_add_cap(dev, NODEDEV_CAP_SCSI_TARGET, &scsi_target_ops, t);
}

/* ---- scsi (a logical unit) ---------------------------------------------- */

struct scsi_cap {
    unsigned int host, bus, target, lun;
    const char *type;       /* static; NULL if unknown */
};

static void scsi_format(struct mv_xml_out *o, const void *data)
{
    const struct scsi_cap *s = data;

    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "scsi");
    format_uint(o, "host", s->host);
    format_uint(o, "bus", s->bus);
    format_uint(o, "target", s->target);
    format_uint(o, "lun", s->lun);
    mv_xml_out_text_elem(o, "type", s->type);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops scsi_ops = { .format = scsi_format, .free = free };

/* The SCSI peripheral device type (SPC: 0 disk ... 0x0c raid), in libvirt's words. */
static const char *scsi_type_name(unsigned int type)
{
    static const char *const names[] = {
        [0x00] = "disk", [0x01] = "tape", [0x03] = "processor", [0x04] = "worm",
        [0x05] = "cdrom", [0x06] = "scanner", [0x07] = "mod", [0x08] = "changer",
        [0x0c] = "raid", [0x0d] = "enclosure",
    };
    return type < MV_ARRAY_SIZE(names) ? names[type] : NULL;
}

int nodedev_cap_scsi(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    const char *sysname;
    int r = sd_device_get_sysname(d, &sysname);
    if (r < 0)
        return r;
    struct scsi_cap *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    /* the name is the address: host:bus:target:lun */
    int n = -1;
    if (sscanf(sysname, "%u:%u:%u:%u%n", &s->host, &s->bus, &s->target, &s->lun, &n) != 4 ||
        sysname[n] != '\0') {
        free(s);
        return NODEDEV_READ_SKIP;
    }
    unsigned int type;
    if (nodedev_attr_uint(d, "type", 0, &type) == 0)
        s->type = scsi_type_name(type);
    return nodedev_device_add_cap(dev, NODEDEV_CAP_SCSI, &scsi_ops, s);
}

/* ---- scsi_generic ------------------------------------------------------- */

static void sg_format(struct mv_xml_out *o, const void *data)
{
    mv_xml_out_start(o, "capability");
    mv_xml_out_attr(o, "type", "scsi_generic");
    mv_xml_out_text_elem(o, "char", data);
    mv_xml_out_end(o);
}

static const struct nodedev_cap_ops sg_ops = { .format = sg_format, .free = free };

int nodedev_cap_scsi_generic(sd_device *d, const struct nodedev_read_ctx *ctx, struct nodedev_device *dev)
{
    (void)ctx;
    const char *devnode;
    if (sd_device_get_devname(d, &devnode) < 0)
        return NODEDEV_READ_SKIP;   /* libvirt lists an sg device by its node */
    char *path = strdup(devnode);
    if (!path)
        return -ENOMEM;
    return nodedev_device_add_cap(dev, NODEDEV_CAP_SCSI_GENERIC, &sg_ops, path);
}
