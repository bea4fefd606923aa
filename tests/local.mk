# tests/: suites that exercise more than one directory.
UNIT_TESTS += tests/unit/check_rpc_server
check_PROGRAMS += tests/unit/check_rpc_server
tests_unit_check_rpc_server_SOURCES = tests/unit/check_rpc_server.c
tests_unit_check_rpc_server_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_check_rpc_server_LDADD = rpc/libmvserver.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS) $(SYSTEMD_LIBS)
