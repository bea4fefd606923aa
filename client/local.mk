# client/: libmodvirt (the public client library), the modvirt tool, and the
# unit tests of the RPC client machinery and codec it stands on.

lib_LTLIBRARIES += client/libmodvirt.la
client_libmodvirt_la_SOURCES = \
	client/modvirt.h client/internal.h \
	client/uri.c \
	client/conn.c \
	client/host.c \
	client/domain.c \
	client/domain_lifecycle.c \
	client/domain_qemu.c \
	client/domain_tuning.c \
	client/domain_device.c \
	client/domain_stats.c \
	client/domain_agent.c \
	client/domain_snapshot.c \
	client/domain_query.c \
	client/domain_names.c \
	client/domain_events.c \
	client/events.c \
	client/domain_console.c \
	client/network.c \
	client/network_query.c \
	client/network_leases.c \
	client/network_names.c \
	client/network_events.c \
	client/nodedev.c \
	client/nodedev_names.c \
	client/nodedev_events.c \
	client/storage_pool.c \
	client/storage_vol.c \
	client/storage_stream.c
# libmvwire.la already carries libmvcommon.la and libmvxdr.la inside it (a
# convenience library linked into a convenience library is merged); naming
# libmvcommon.la again puts its objects into the shared library twice.
client_libmodvirt_la_LIBADD = rpc/libmvwire.la
# only the public API leaves the library
client_libmodvirt_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -export-symbols-regex '^modvirt_'
pkginclude_HEADERS += client/modvirt.h

bin_PROGRAMS += client/modvirt
client_modvirt_SOURCES = \
	client/cli.h \
	client/cli_main.c \
	client/cli_output.c \
	client/cli_input.c \
	client/cli_host.c \
	client/cli_domain.c \
	client/cli_domain_lifecycle.c \
	client/cli_domain_qemu.c \
	client/cli_domain_tuning.c \
	client/cli_domain_device.c \
	client/cli_domain_stats.c \
	client/cli_domain_agent.c \
	client/cli_domain_snapshot.c \
	client/cli_console.c \
	client/cli_signals.c \
	client/cli_events.c \
	client/cli_network.c \
	client/cli_network_change.c \
	client/cli_progress.c \
	client/cli_pool.c \
	client/cli_vol.c \
	client/cli_vol_job.c \
	client/cli_vol_transfer.c \
	client/cli_nodedev.c
# libxml2: nodedev-info reads the path and driver out of the device XML
client_modvirt_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBXML_CFLAGS)
client_modvirt_LDADD = client/libmodvirt.la $(JSONC_LIBS) $(LIBXML_LIBS)

dist_man_MANS += man/modvirt.1

CLIENT_CHECKS = tests/unit/check_rpc_client tests/unit/check_rpc_codec tests/unit/check_libmodvirt
check_PROGRAMS += $(CLIENT_CHECKS)
UNIT_TESTS += $(CLIENT_CHECKS)
tests_unit_check_rpc_client_SOURCES = tests/unit/check_rpc_client.c
tests_unit_check_rpc_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_rpc_client_LDADD = rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS)
tests_unit_check_rpc_codec_SOURCES = tests/unit/check_rpc_codec.c
tests_unit_check_rpc_codec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_rpc_codec_LDADD = rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS)
# libmodvirt through its public API, against a fake daemon built from the codec
tests_unit_check_libmodvirt_SOURCES = tests/unit/check_libmodvirt.c
tests_unit_check_libmodvirt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_libmodvirt_LDADD = client/libmodvirt.la rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS)
