# tests/: suites that exercise more than one directory.

# the raw RPC client of the unit tests that run a server or the proxy
RPC_HARNESS = tests/unit/rpc_harness.c tests/unit/rpc_harness.h
UNIT_TESTS += tests/unit/check_rpc_server
check_PROGRAMS += tests/unit/check_rpc_server
tests_unit_check_rpc_server_SOURCES = tests/unit/check_rpc_server.c $(RPC_HARNESS)
tests_unit_check_rpc_server_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_check_rpc_server_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS) $(SYSTEMD_LIBS)

# helpers shared by the unit tests (temp dirs, fixture paths, golden files,
# libvirt's schemas, namespaces of their own)
noinst_LTLIBRARIES += tests/unit/libmvtest.la
tests_unit_libmvtest_la_SOURCES = tests/unit/testutil.c tests/unit/testutil.h \
	tests/unit/golden.c tests/unit/golden.h tests/unit/schema.c tests/unit/schema.h \
	tests/unit/testns.c tests/unit/testns.h
tests_unit_libmvtest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_libmvtest_la_LIBADD = $(CHECK_LIBS)

# rpc/gen-procs.awk stops the build when the .x enum and its annotations disagree
UNIT_TESTS += tests/unit/gen-procs.sh
dist_check_SCRIPTS += tests/unit/gen-procs.sh

# what networkxml-validate.sh and domainxml-validate.sh run
dist_check_SCRIPTS += tests/unit/xml-validate.sh

UNIT_TESTS += tests/unit/check_rpc_stream
check_PROGRAMS += tests/unit/check_rpc_stream
tests_unit_check_rpc_stream_SOURCES = tests/unit/check_rpc_stream.c $(RPC_HARNESS)
tests_unit_check_rpc_stream_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_check_rpc_stream_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS) $(SYSTEMD_LIBS)

# SASL sessions against a real cyrus-sasl client, a sasldb and the layer
UNIT_TESTS += tests/unit/check_rpc_sasl
check_PROGRAMS += tests/unit/check_rpc_sasl
# and the AUTH_SASL_* handlers; both compiled in (not libmvserver) so the
# test plays the server's client accessors itself
tests_unit_check_rpc_sasl_SOURCES = tests/unit/check_rpc_sasl.c rpc/sasl.c rpc/conn_sasl.c rpc/conn_sasl.h
tests_unit_check_rpc_sasl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SASL_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_check_rpc_sasl_LDADD = rpc/libmvwire.la common/libmvcommon.la \
	tests/unit/libmvtest.la $(SASL_LIBS) $(CHECK_LIBS)

# CONNECT_SET_IDENTITY's parameters, as proxyd and libvirt's daemons send them
UNIT_TESTS += tests/unit/check_rpc_identity
check_PROGRAMS += tests/unit/check_rpc_identity
tests_unit_check_rpc_identity_SOURCES = tests/unit/check_rpc_identity.c
tests_unit_check_rpc_identity_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_rpc_identity_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS)

# the server's forwarder hook (modvirt-proxyd's base) with a raw client
UNIT_TESTS += tests/unit/check_rpc_forward
check_PROGRAMS += tests/unit/check_rpc_forward
tests_unit_check_rpc_forward_SOURCES = tests/unit/check_rpc_forward.c $(RPC_HARNESS)
tests_unit_check_rpc_forward_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_check_rpc_forward_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS) $(SYSTEMD_LIBS)

# rpc/tls.c against a gnutls client, with a PKI made by certtool
UNIT_TESTS += tests/unit/check_rpc_tls
check_PROGRAMS += tests/unit/check_rpc_tls
dist_check_SCRIPTS += tests/data/tls/mkpki.sh
tests_unit_check_rpc_tls_SOURCES = tests/unit/check_rpc_tls.c
tests_unit_check_rpc_tls_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GNUTLS_CFLAGS)
tests_unit_check_rpc_tls_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	tests/unit/libmvtest.la $(CHECK_LIBS) $(GNUTLS_LIBS)

# nodedevd/pci_ids.c: vendor and product names from a small pci.ids with
# the format's corner cases (and the system's file when it is there)
UNIT_TESTS += tests/unit/check_nodedevd_pci_ids
check_PROGRAMS += tests/unit/check_nodedevd_pci_ids
dist_noinst_DATA += tests/data/pci_ids/pci.ids
tests_unit_check_nodedevd_pci_ids_SOURCES = tests/unit/check_nodedevd_pci_ids.c
tests_unit_check_nodedevd_pci_ids_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_pci_ids_LDADD = nodedevd/libmvnodedev.la tests/unit/libmvtest.la \
	common/libmvcommon.la $(CHECK_LIBS)

# nodedevd/cap_pci.c, cap_drm.c: names from the test's pci.ids and the
# capability filters, on fixtures mounted on /sys (needs root; skips without)
UNIT_TESTS += tests/unit/check_nodedevd_pci
check_PROGRAMS += tests/unit/check_nodedevd_pci
tests_unit_check_nodedevd_pci_SOURCES = tests/unit/check_nodedevd_pci.c \
	tests/unit/nodedev_fixture.c tests/unit/nodedev_fixture.h
tests_unit_check_nodedevd_pci_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/nodedevd
tests_unit_check_nodedevd_pci_LDADD = tests/unit/libmvtest.la nodedevd/libmvnodedev.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS)
