# modvirt-storaged itself: main, the storage driver (pools, their queues,
# volumes, events) and its procedures.  The XML, volume-file and backend
# parts are the libraries of storxml.mk, volfile.mk and backends.mk.
sbin_PROGRAMS += storaged/modvirt-storaged
storaged_modvirt_storaged_SOURCES = \
	storaged/storaged.h \
	storaged/main.c \
	storaged/driver.c \
	storaged/parts_pending.c \
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
storaged_modvirt_storaged_LDADD = storaged/libmvstorpool.la storaged/libmvvolfile.la storaged/libmvstorconf.la \
	rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread
