# bench/: the latency benchmark.  bench/run drives rpcbench against the raw
# socket floor, modvirt-qemud and (where it can run) Debian's libvirtd; see
# bench/README.md.  It measures and prints, and is never run by 'make check'.
#
# The libvirt client modes need libvirt >= 9.0 at configure time
# (PKG_CHECK_MODULES([LIBVIRT]) + HAVE_LIBVIRT in config.h); without it
# rpcbench still builds, with the libmodvirt and raw modes only.
noinst_PROGRAMS += bench/rpcbench
bench_rpcbench_SOURCES = bench/rpcbench.c
bench_rpcbench_CFLAGS = $(AM_CFLAGS) $(LIBVIRT_CFLAGS)
bench_rpcbench_LDADD = client/libmodvirt.la $(LIBVIRT_LIBS)
EXTRA_DIST += bench/run bench/README.md
