# modvirt-qemud itself: RPC handlers and main (host facts are in local.mk).
sbin_PROGRAMS += qemud/modvirt-qemud
qemud_modvirt_qemud_SOURCES = \
	qemud/qemud.h \
	qemud/main.c \
	qemud/host_facts.c qemud/host_facts.h \
	qemud/host_procs.c \
	qemud/domain_procs.c
qemud_modvirt_qemud_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS)
qemud_modvirt_qemud_LDADD = qemud/libmvqemuhost.la rpc/libmvserver.la rpc/libmvwire.la \
	common/libmvcommon.la $(SYSTEMD_LIBS) $(LIBXML_LIBS)
