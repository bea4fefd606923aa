# qemud/: the QEMU compute daemon modvirt-qemud.
EXTRA_DIST += qemud/README.md

# Host facts: node info and stats, QEMU and KVM probes, capabilities and
# sysinfo XML.  Pure functions over <sysroot>/proc and /sys, no RPC.
noinst_LTLIBRARIES += qemud/libmvqemuhost.la
qemud_libmvqemuhost_la_SOURCES = \
	qemud/host_cpuinfo.c qemud/host_cpuinfo.h \
	qemud/host_xml.c qemud/host_xml.h \
	qemud/host_node.c qemud/host_node.h \
	qemud/host_memory.c qemud/host_memory.h \
	qemud/host_capabilities.c qemud/host_capabilities.h \
	qemud/host_sysinfo.c qemud/host_sysinfo.h \
	qemud/qemu_probe.c qemud/qemu_probe.h \
	qemud/kvm_probe.c qemud/kvm_probe.h \
	qemud/firmware.c qemud/firmware.h \
	qemud/nvram.c qemud/nvram.h \
	qemud/machine_family.h \
	qemud/domain_caps.c qemud/domain_caps.h
qemud_libmvqemuhost_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS)
qemud_libmvqemuhost_la_LIBADD = qemud/libmvdomainconf.la common/libmvprocess.la common/libmvcommon.la \
	$(LIBXML_LIBS) $(JSONC_LIBS)

check_PROGRAMS += tests/unit/check_qemud_host
UNIT_TESTS += tests/unit/check_qemud_host
tests_unit_check_qemud_host_SOURCES = tests/unit/check_qemud_host.c
tests_unit_check_qemud_host_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_host_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la common/libmvcommon.la \
	$(CHECK_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/check_qemud_caps_schema
UNIT_TESTS += tests/unit/check_qemud_caps_schema
tests_unit_check_qemud_caps_schema_SOURCES = tests/unit/check_qemud_caps_schema.c
tests_unit_check_qemud_caps_schema_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_caps_schema_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la common/libmvcommon.la \
	$(CHECK_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/check_qemud_domcaps
UNIT_TESTS += tests/unit/check_qemud_domcaps
tests_unit_check_qemud_domcaps_SOURCES = tests/unit/check_qemud_domcaps.c
tests_unit_check_qemud_domcaps_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_domcaps_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la \
	qemud/libmvdomainconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/check_qemud_firmware
UNIT_TESTS += tests/unit/check_qemud_firmware
tests_unit_check_qemud_firmware_SOURCES = tests/unit/check_qemud_firmware.c
tests_unit_check_qemud_firmware_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_firmware_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la \
	qemud/libmvdomainconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

EXTRA_DIST += tests/data/host tests/data/firmware

# CPU and memory: the CPUID flag table against the real QEMU, id sets, host
# memory facts (tests/data/hostmem) and huge page backends
check_PROGRAMS += tests/unit/check_qemud_cpumem
UNIT_TESTS += tests/unit/check_qemud_cpumem
tests_unit_check_qemud_cpumem_SOURCES = tests/unit/check_qemud_cpumem.c
tests_unit_check_qemud_cpumem_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_cpumem_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la qemud/libmvqemucmd.la \
	qemud/libmvdomainconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)
EXTRA_DIST += tests/data/hostmem
