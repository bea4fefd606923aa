# qemu_command: a domain definition as a QEMU 7.2 command line (see
# qemud/qemu_command.h).  Pure: no I/O, golden-tested in tests/qemuargs.
noinst_LTLIBRARIES += qemud/libmvqemucmd.la
qemud_libmvqemucmd_la_SOURCES = qemud/qemu_command.c qemud/qemu_command.h \
	qemud/qemu_command_priv.h qemud/qemu_cmd_pci.c qemud/qemu_cmd_machine.c qemud/qemu_cmd_memory.c \
	qemud/qemu_cmd_cpu.c qemud/qemu_cmd_clock.c qemud/qemu_cmd_features.c \
	qemud/qemu_cmd_boot.c qemud/qemu_cmd_controllers.c \
	qemud/qemu_cmd_disk.c qemud/qemu_cmd_net.c qemud/qemu_cmd_chardev.c \
	qemud/qemu_cmd_display.c qemud/qemu_cmd_devices.c qemud/qemu_cmd_fs.c qemud/qemu_cmd_sound.c \
	qemud/virtiofs.c qemud/virtiofs.h qemud/qemu_cmd_iothreads.c \
	qemud/qemu_cmd_hostdev.c qemud/qemu_cmd_seclabel.c qemud/qemu_cmd_sysinfo.c qemud/qemu_cmd_tpm.c
qemud_libmvqemucmd_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/qemud
qemud_libmvqemucmd_la_LIBADD = qemud/libmvdomainconf.la common/libmvcommon.la

# NAME.xml -> NAME.args goldens and NAME-invalid.xml -> NAME-invalid.err,
# plus runs of the real QEMU with the produced command lines.
check_PROGRAMS += tests/unit/check_qemud_qemuargs
UNIT_TESTS += tests/unit/check_qemud_qemuargs
# (an emulated TPM is the real swtpm, started by the daemon's own tpm.c)
tests_unit_check_qemud_qemuargs_SOURCES = tests/unit/check_qemud_qemuargs.c \
	qemud/tpm.c qemud/tpm_setup_conf.c qemud/sidecar.c qemud/proc_stat.c qemud/proc_presence.c
tests_unit_check_qemud_qemuargs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_qemuargs_LDADD = tests/unit/libmvtest.la qemud/libmvqemucmd.la \
	qemud/libmvqemuhost.la qemud/libmvdomainconf.la rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) $(LIBXML_LIBS) -lpthread

EXTRA_DIST += tests/qemuargs

# the assign pass: tests/domainlive/NAME.xml -> the live NAME.out.xml, which
# defines and starts again with the same command line
check_PROGRAMS += tests/unit/check_qemud_domain_address
UNIT_TESTS += tests/unit/check_qemud_domain_address
tests_unit_check_qemud_domain_address_SOURCES = tests/unit/check_qemud_domain_address.c
tests_unit_check_qemud_domain_address_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_domain_address_LDADD = tests/unit/libmvtest.la qemud/libmvqemucmd.la \
	qemud/libmvdomainconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS)
EXTRA_DIST += tests/domainlive

# hotplug's pure parts: a device fragment into a definition and out again,
# one device's options (mv_qemu_build_device) as QMP commands
check_PROGRAMS += tests/unit/check_qemud_hotplug
UNIT_TESTS += tests/unit/check_qemud_hotplug
tests_unit_check_qemud_hotplug_SOURCES = tests/unit/check_qemud_hotplug.c qemud/hotplug_json.c qemud/hotplug_json.h
tests_unit_check_qemud_hotplug_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_hotplug_LDADD = tests/unit/libmvtest.la qemud/libmvqemucmd.la \
	qemud/libmvdomainconf.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS)
