# storaged/volfile.mk: volume files (see storaged/vol_file.h): create,
# clone, inspect (cached), resize, wipe, delete, through qemu-img where the
# format needs it.
noinst_LTLIBRARIES += storaged/libmvvolfile.la
storaged_libmvvolfile_la_SOURCES = storaged/vol_file.h storaged/vol_file_internal.h \
	storaged/vol_file.c storaged/vol_file_create.c storaged/vol_file_inspect.c \
	storaged/vol_file_cache.c storaged/vol_file_clone.c storaged/vol_file_resize.c \
	storaged/vol_file_wipe.c
storaged_libmvvolfile_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
storaged_libmvvolfile_la_LIBADD = common/libmvprocess.la common/libmvcommon.la $(JSONC_LIBS) -lpthread

# real files and the real qemu-img in a temp dir
check_PROGRAMS += tests/unit/check_storaged_volfile
UNIT_TESTS += tests/unit/check_storaged_volfile
tests_unit_check_storaged_volfile_SOURCES = tests/unit/check_storaged_volfile.c
tests_unit_check_storaged_volfile_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/storaged
tests_unit_check_storaged_volfile_LDADD = tests/unit/libmvtest.la storaged/libmvvolfile.la \
	common/libmvprocess.la common/libmvcommon.la $(CHECK_LIBS) $(JSONC_LIBS)
