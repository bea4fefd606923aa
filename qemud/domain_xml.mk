# Domain XML: the definition struct, its parser and formatter (no RPC, no I/O
# beyond libxml2), shared by modvirt-qemud and the unit tests.
noinst_LTLIBRARIES += qemud/libmvdomainconf.la
qemud_libmvdomainconf_la_SOURCES = \
	qemud/domain_def.c qemud/domain_def.h \
	qemud/domain_parse.c qemud/domain_parse_priv.h \
	qemud/domain_parse_devices.c qemud/domain_parse_features.c qemud/domain_parse_display.c \
	qemud/domain_parse_sound.c qemud/domain_parse_redirdev.c \
	qemud/domain_parse_cpu.c qemud/domain_parse_memory.c qemud/domain_parse_tpm.c \
	qemud/domain_parse_os.c qemud/domain_parse_sysinfo.c \
	qemud/domain_idset.c qemud/domain_idset.h \
	qemud/cpu_x86_features.c qemud/cpu_x86_features.h \
	qemud/domain_parse_fs.c qemud/domain_fragment.c qemud/domain_fragment.h \
	qemud/domain_format.c qemud/domain_format_priv.h qemud/domain_format_cpumem.h \
	qemud/domain_format_fs.c \
	qemud/domain_format_cpu.c qemud/domain_format_memory.c qemud/domain_format_features.c qemud/domain_format_tpm.c \
	qemud/domain_format_os.c \
	qemud/domain_address.c qemud/domain_address.h qemud/domain_address_priv.h \
	qemud/domain_address_kinds.c qemud/domain_address_drive.c qemud/domain_address_pci.c \
	qemud/domain_controllers_implicit.c qemud/domain_alias.c \
	qemud/domain_format_display.c \
	qemud/domain_parse_tuning.c qemud/domain_parse_hostdev.c \
	qemud/domain_parse_seclabel.c \
	qemud/domain_format_tuning.c qemud/domain_format_tuning.h
qemud_libmvdomainconf_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)
qemud_libmvdomainconf_la_LIBADD = common/libmvcommon.la $(LIBXML_LIBS)

# Golden files: tests/domainxml/NAME.xml -> NAME.out.xml, NAME-invalid.xml -> .err
check_PROGRAMS += tests/unit/check_qemud_domainxml
UNIT_TESTS += tests/unit/check_qemud_domainxml
tests_unit_check_qemud_domainxml_SOURCES = tests/unit/check_qemud_domainxml.c
tests_unit_check_qemud_domainxml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_domainxml_LDADD = tests/unit/libmvtest.la qemud/libmvdomainconf.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)

# every expected output against libvirt's own RelaxNG schema.  The script
# lives outside tests/domainxml: its log would create that directory in the
# build tree, and "make dist" would then take the build tree's copy of it.
UNIT_TESTS += tests/unit/domainxml-validate.sh
dist_check_SCRIPTS += tests/unit/domainxml-validate.sh
EXTRA_DIST += tests/domainxml
# what a failing golden test leaves in the build directory for a diff
CLEANFILES += *.out.xml.actual *.again.xml

# virt-install 4.1's definitions, for the integration scripts (qemud-features.sh)
EXTRA_DIST += tests/data/virtinst
