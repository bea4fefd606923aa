/*
 * Private to the domain XML formatter (domain_format*.c): the pieces every
 * device element writes, so that a concept's own domain_format_<concept>.c
 * writes them the same way, and the sections that have a file of their own.
 */
#pragma once

#include "domain_def.h"
#include "xml_format.h"

/* <address type='pci'|'drive' .../>; nothing for MV_DOM_ADDR_NONE. */
void dom_format_address(struct mv_xml_out *o, const struct mv_dom_addr *a);
/* <alias name='ALIAS'/>; nothing for NULL.  Written right before the
 * device's <address>, where libvirt puts it. */
void dom_format_alias(struct mv_xml_out *o, const char *alias);

/* domain_format_features.c: <features> and <clock>, when written */
void dom_format_features(struct mv_xml_out *o, const struct mv_dom_features *f);
void dom_format_clock(struct mv_xml_out *o, const struct mv_dom_clock *clock);

/* <filesystem> (domain_format_fs.c) */
void dom_format_filesystem(struct mv_xml_out *o, const struct mv_dom_fs *fs);

/* domain_format_display.c */
void dom_format_graphics(struct mv_xml_out *o, const struct mv_dom_graphics *g, unsigned int flags);
void dom_format_video(struct mv_xml_out *o, const struct mv_dom_video *v);
void dom_format_sound(struct mv_xml_out *o, const struct mv_dom_sound *s);
void dom_format_audio(struct mv_xml_out *o, const struct mv_dom_audio *a);
void dom_format_redirdev(struct mv_xml_out *o, const struct mv_dom_redirdev *rd);
/* domain_format_os.c: <sysinfo> (when given) and <os>, in libvirt's layout */
void dom_format_sysinfo(struct mv_xml_out *o, const struct mv_dom_sysinfo *si);
void dom_format_os(struct mv_xml_out *o, const struct mv_dom_os *os);

/* <tpm> (domain_format_tpm.c). */
void dom_format_tpm(struct mv_xml_out *o, const struct mv_dom_tpm *t);
