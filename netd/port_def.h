/*
 * A network port (libvirt's <networkport> XML, networkport.rng): a guest NIC
 * plugged into a network, created by qemud through NETWORK_PORT_CREATE_XML.
 *
 *   <networkport>
 *     <uuid>...</uuid>
 *     <owner><name>vm1</name><uuid>...</uuid></owner>
 *     <mac address='52:54:00:..'/>
 *     <plug type='network' bridge='virbr0'/>
 *   </networkport>
 *
 * qemud sends owner and mac (and a uuid on RECLAIM); netd fills in the uuid
 * and the plug.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "uuid.h"

enum mv_port_plug { MV_PORT_PLUG_NONE, MV_PORT_PLUG_NETWORK, MV_PORT_PLUG_BRIDGE };

struct mv_port_def {
    unsigned char uuid[MV_UUID_LEN];
    bool has_uuid;                  /* given in the XML (else the caller generates one) */
    char *owner_name;
    unsigned char owner_uuid[MV_UUID_LEN];
    char *mac;                      /* lower-case aa:bb:cc:dd:ee:ff */
    enum mv_port_plug plug;
    char *bridge;                   /* plug bridge=, NULL for NONE */
};

void mv_port_def_free(struct mv_port_def *def);
static inline void mv_port_def_freep(struct mv_port_def **def) { mv_port_def_free(*def); }
#define _cleanup_port_def_ _cleanup_(mv_port_def_freep)

/* Strict parse, as for networks.  0 or -EINVAL/-ENOMEM with *ERRMSG. */
int mv_port_def_parse(const char *xml, struct mv_port_def **out, char **errmsg);
/* NULL on out of memory. */
char *mv_port_def_format(const struct mv_port_def *def);
