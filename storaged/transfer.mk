# Volume upload and download streams (volume_stream.c: the procedures on
# the RPC loop; volume_xfer.c: the transfer thread, its queue and the
# download reader; volume_upload.c: the crash-safe upload writer).
storaged_modvirt_storaged_SOURCES += \
	storaged/volume_stream.c \
	storaged/volume_xfer.c storaged/volume_xfer.h \
	storaged/volume_upload.c

# the transfer thread on real files, the test thread as the loop
check_PROGRAMS += tests/unit/check_storaged_xfer
UNIT_TESTS += tests/unit/check_storaged_xfer
tests_unit_check_storaged_xfer_SOURCES = tests/unit/check_storaged_xfer.c \
	storaged/volume_xfer.c storaged/volume_upload.c
tests_unit_check_storaged_xfer_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/storaged
tests_unit_check_storaged_xfer_LDADD = storaged/libmvvolfile.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) $(JSONC_LIBS) -lpthread
