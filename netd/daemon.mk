# modvirt-netd itself: main, the network driver and its procedures (the
# network XML, dnsmasq, firewall and bridge parts are the libraries of the
# other netd/*.mk fragments).
sbin_PROGRAMS += netd/modvirt-netd
netd_modvirt_netd_SOURCES = \
	netd/netd.h \
	netd/main.c \
	netd/driver.c \
	netd/default_network.c \
	netd/network_obj.c netd/network_obj.h \
	netd/network_store.c netd/network_store.h \
	netd/network_start.c netd/network_start.h \
	netd/network_watch.c netd/network_watch.h \
	netd/network_events.c netd/network_events.h \
	netd/network_procs.c \
	netd/network_life_procs.c \
	netd/port_procs.c \
	netd/port_store.c netd/port_store.h
netd_modvirt_netd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(LIBNL_CFLAGS) -I$(top_srcdir)/netd
netd_modvirt_netd_LDADD = netd/libmvdnsmasq.la netd/libmvfirewall.la netd/libmvbridge.la netd/libmvnetconf.la \
	rpc/libmvserver.la rpc/libmvwire.la common/libmvnetlink.la common/libmvprocess.la common/libmvcommon.la \
	$(SYSTEMD_LIBS) $(LIBXML_LIBS) $(LIBNL_LIBS) $(NFTABLES_LIBS) $(JSONC_LIBS) -lpthread

# The driver's status files and dnsmasq death watch, without RPC or network.
check_PROGRAMS += tests/unit/check_netd_driver
UNIT_TESTS += tests/unit/check_netd_driver
tests_unit_check_netd_driver_SOURCES = tests/unit/check_netd_driver.c \
	netd/network_obj.c netd/network_store.c netd/network_watch.c netd/port_store.c
tests_unit_check_netd_driver_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_driver_LDADD = tests/unit/libmvtest.la netd/libmvdnsmasq.la netd/libmvnetconf.la rpc/libmvserver.la \
	rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS) -lpthread

# Ports on disk: saved, re-adopted at start, stale files dropped.
check_PROGRAMS += tests/unit/check_netd_port_store
UNIT_TESTS += tests/unit/check_netd_port_store
tests_unit_check_netd_port_store_SOURCES = tests/unit/check_netd_port_store.c \
	netd/network_obj.c netd/network_store.c netd/port_store.c
tests_unit_check_netd_port_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/netd
tests_unit_check_netd_port_store_LDADD = tests/unit/libmvtest.la netd/libmvnetconf.la rpc/libmvserver.la \
	rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS) -lpthread
