/*
 * Private to the domain formatter: the sections of domain_format_tuning.c
 * (iothreads, cputune, hostdev, seclabel) and what they borrow from
 * domain_format.c.
 */
#pragma once

#include "domain_def.h"
#include "domain_format_priv.h"
#include "xml_format.h"

/* domain_format.c: a device's <boot order> */
void dom_format_boot_order(struct mv_xml_out *o, unsigned int order);

/* <iothreads>, <iothreadids>, <cputune>, after <vcpu> */
void dom_format_tuning(struct mv_xml_out *o, const struct mv_dom_def *def);
/* one <hostdev> */
void dom_format_hostdev(struct mv_xml_out *o, const struct mv_dom_hostdev *h);
/* every <seclabel>, after <devices> */
void dom_format_seclabels(struct mv_xml_out *o, const struct mv_dom_def *def);
