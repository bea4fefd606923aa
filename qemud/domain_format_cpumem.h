/*
 * Private to the domain formatter: the <cpu> (domain_format_cpu.c),
 * <memoryBacking> and <numatune> (domain_format_memory.c) sections.
 */
#pragma once

#include "domain_def.h"
#include "xml_format.h"

void dom_format_cpu(struct mv_xml_out *o, const struct mv_dom_cpu *cpu);
void dom_format_memory_backing(struct mv_xml_out *o, const struct mv_dom_memory_backing *mb);
void dom_format_numatune(struct mv_xml_out *o, const struct mv_dom_numatune *nt);
/* Attribute NAME holding SET in libvirt's list syntax; nothing when empty. */
void dom_format_idset(struct mv_xml_out *o, const char *name, const struct mv_dom_idset *set);
