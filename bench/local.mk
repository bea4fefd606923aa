# bench/: the benchmarks.  bench/run drives rpcbench (RPC round trips against
# the raw socket floor, modvirt-qemud and, where it can run, Debian's
# libvirtd) and dombench (domain operations against modvirt-qemud and
# libvirtd); see bench/README.md.  They measure and print, and are never run
# by 'make check'.
#
# The libvirt client modes need libvirt >= 9.0 at configure time
# (PKG_CHECK_MODULES([LIBVIRT]) + HAVE_LIBVIRT in config.h); without it
# rpcbench still builds, with the libmodvirt and raw modes only, and
# dombench (libvirt's client only) is not built.
noinst_PROGRAMS += bench/rpcbench
bench_rpcbench_SOURCES = bench/rpcbench.c bench/rpcmodes.c bench/rpcmodes.h \
	bench/procstat.c bench/procstat.h bench/timing.h
bench_rpcbench_CFLAGS = $(AM_CFLAGS) $(LIBVIRT_CFLAGS)
bench_rpcbench_LDADD = client/libmodvirt.la $(LIBVIRT_LIBS) -lpthread
if HAVE_LIBVIRT
noinst_PROGRAMS += bench/dombench
bench_dombench_SOURCES = bench/dombench.c bench/cliutil.c bench/cliutil.h bench/guestboot.c bench/guestboot.h bench/timing.h
bench_dombench_CFLAGS = $(AM_CFLAGS) $(LIBVIRT_CFLAGS)
bench_dombench_LDADD = $(LIBVIRT_LIBS)
noinst_PROGRAMS += bench/netbench
bench_netbench_SOURCES = bench/netbench.c bench/cliutil.c bench/cliutil.h bench/guestboot.c bench/guestboot.h bench/timing.h
bench_netbench_CFLAGS = $(AM_CFLAGS) $(LIBVIRT_CFLAGS)
bench_netbench_LDADD = $(LIBVIRT_LIBS)
endif
EXTRA_DIST += bench/run bench/domains.sh bench/proxy.sh bench/networks.sh bench/storage.sh bench/stbench.py bench/README.md \
	bench/virtinst.sh bench/vibench.py bench/isolation.sh bench/tls.sh bench/tlsbench.py
EXTRA_DIST += bench/nodedev.sh bench/nodebench.py
EXTRA_DIST += bench/compute.sh bench/compbench.py
