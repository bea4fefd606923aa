# Guest isolation's host files: the qcow2 backing chains read from headers,
# the POSIX ACL entries (libacl) that hand each file to a guest's uid, and
# their record in the status file.  A convenience library: the daemon and
# its unit tests link it (guest_files.c calls qemud_path_policy_check(),
# which the daemon provides).
noinst_LTLIBRARIES += qemud/libmvguestfiles.la
qemud_libmvguestfiles_la_SOURCES = \
	qemud/guest_files.c qemud/guest_files.h qemud/guest_isolation.h \
	qemud/guest_acl.c qemud/guest_acl.h \
	qemud/image_chain.c qemud/image_chain.h
qemud_libmvguestfiles_la_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS) $(LIBACL_CFLAGS)
qemud_libmvguestfiles_la_LIBADD = rpc/libmvwire.la common/libmvcommon.la $(LIBXML_LIBS) $(LIBACL_LIBS)

# Real files in a temp dir, real ACLs, real qemu-img images, and a child
# that takes a guest's uid to prove a grant opens exactly the granted file.
check_PROGRAMS += tests/unit/check_qemud_guest_files
UNIT_TESTS += tests/unit/check_qemud_guest_files
tests_unit_check_qemud_guest_files_SOURCES = tests/unit/check_qemud_guest_files.c qemud/guest_path_policy.c \
	qemud/display_ports.c qemud/guest_identity.c qemud/hostdev_pci.c
tests_unit_check_qemud_guest_files_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBACL_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_guest_files_LDADD = tests/unit/libmvtest.la qemud/libmvguestfiles.la qemud/libmvqemuhost.la \
	qemud/libmvdomainconf.la rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) \
	$(LIBACL_LIBS) -lpthread
