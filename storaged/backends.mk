# storaged/backends.mk: what each pool type does (see storaged/backend.h):
# dir, fs (mount, mkfs, blkid), logical (LVM's commands, JSON reports) and
# netfs, all tools run through the core's runner (common/libmvprocess).
# Volume files go through storaged/vol_file.h (volfile.mk), which a program
# linking this library links too.
noinst_LTLIBRARIES += storaged/libmvstorpool.la
storaged_libmvstorpool_la_SOURCES = storaged/backend.h storaged/backend_priv.h storaged/backend.c \
	storaged/pool_run.c storaged/pool_dir.c storaged/pool_mount.c storaged/pool_fs.c \
	storaged/pool_netfs.c storaged/pool_logical.c storaged/pool_lvm_report.c
storaged_libmvstorpool_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/storaged
storaged_libmvstorpool_la_LIBADD = common/libmvprocess.la common/libmvcommon.la $(JSONC_LIBS)

# dir on real files, fs on a real loop device with ext4 in a mount namespace
# of the test's own (needs root; skipped, said so, without), netfs's mount
# command line and its start failing without NFS
check_PROGRAMS += tests/unit/check_storaged_backends
UNIT_TESTS += tests/unit/check_storaged_backends
tests_unit_check_storaged_backends_SOURCES = tests/unit/check_storaged_backends.c tests/unit/storaged_pooldef.h
tests_unit_check_storaged_backends_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/storaged
tests_unit_check_storaged_backends_LDADD = tests/unit/libmvtest.la storaged/libmvstorpool.la \
	storaged/libmvvolfile.la storaged/libmvstorconf.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) $(JSONC_LIBS)

# No device-mapper here: the logical backend runs against recorded LVM JSON
# (tests/data/lvm) through fake tools the test puts first on PATH, and its
# command lines are compared with golden ones.
check_PROGRAMS += tests/unit/check_storaged_logical_recorded
UNIT_TESTS += tests/unit/check_storaged_logical_recorded
tests_unit_check_storaged_logical_recorded_SOURCES = tests/unit/check_storaged_logical_recorded.c \
	tests/unit/storaged_pooldef.h
tests_unit_check_storaged_logical_recorded_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/storaged
tests_unit_check_storaged_logical_recorded_LDADD = tests/unit/libmvtest.la storaged/libmvstorpool.la \
	storaged/libmvvolfile.la storaged/libmvstorconf.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) $(JSONC_LIBS)

EXTRA_DIST += tests/data/lvm
