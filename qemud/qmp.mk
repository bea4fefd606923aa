# qmp: see qemud/qmp.h.  The asynchronous QMP client: one monitor thread with
# its own sd-event loop serves every QEMU monitor.
noinst_LTLIBRARIES += qemud/libmvqmp.la
qemud_libmvqmp_la_SOURCES = qemud/qmp.c qemud/qmp.h
qemud_libmvqmp_la_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JSONC_CFLAGS)
qemud_libmvqmp_la_LIBADD = common/libmvcommon.la $(SYSTEMD_LIBS) $(JSONC_LIBS) -lpthread

# Runs the real QEMU (MV_QEMU_BINARY, -machine none/pc with TCG) and a fake
# QMP server for what QEMU never sends (oversized and malformed messages).
check_PROGRAMS += tests/unit/check_qemud_qmp
UNIT_TESTS += tests/unit/check_qemud_qmp
tests_unit_check_qemud_qmp_SOURCES = tests/unit/check_qemud_qmp.c
tests_unit_check_qemud_qmp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_qmp_LDADD = tests/unit/libmvtest.la qemud/libmvqmp.la common/libmvcommon.la \
	$(CHECK_LIBS) $(JSONC_LIBS) -lpthread
