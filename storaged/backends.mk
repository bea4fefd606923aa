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
