# modvirt-storaged itself: main, the storage driver (pools, their queues,
# volumes, events) and its procedures.  The XML, volume-file and backend
# parts are the libraries of storxml.mk, volfile.mk and backends.mk.
sbin_PROGRAMS += storaged/modvirt-storaged
storaged_modvirt_storaged_SOURCES = \
	storaged/storaged.h \
	storaged/main.c \
	storaged/driver.c \
	storaged/pool_obj.c storaged/pool_obj.h \
	storaged/pool_store.c storaged/pool_store.h \
	storaged/pool_queue.c storaged/pool_queue.h \
	storaged/pool_start.c storaged/pool_start.h \
	storaged/pool_events.c storaged/pool_events.h \
	storaged/pool_procs.c \
	storaged/pool_life_procs.c \
	storaged/volume_work.c storaged/volume_work.h \
	storaged/volume_procs.c
storaged_modvirt_storaged_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/storaged
storaged_modvirt_storaged_LDADD = storaged/libmvsecrets.la storaged/libmvstorpool.la storaged/libmvvolfile.la storaged/libmvstorconf.la \
	rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread

# The pools' queues: a stuck pool's calls time out naming it, holding one
# thread, while other pools' work runs (no RPC, no files).
check_PROGRAMS += tests/unit/check_storaged_queue
UNIT_TESTS += tests/unit/check_storaged_queue
tests_unit_check_storaged_queue_SOURCES = tests/unit/check_storaged_queue.c \
	storaged/pool_obj.c storaged/pool_queue.c
tests_unit_check_storaged_queue_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/storaged
tests_unit_check_storaged_queue_LDADD = tests/unit/libmvtest.la storaged/libmvstorpool.la storaged/libmvvolfile.la \
	storaged/libmvstorconf.la rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread
