# tests/integration/: owned by the integration-test engineer.
# modvirt-qemud driven by real clients (virsh, python3-libvirt, raw sockets),
# each script a TAP producer run through the SH_LOG_DRIVER.  They need root
# (private mount namespaces); without it they skip.
QEMUD_INTEGRATION_TESTS = \
	tests/integration/qemud-virsh.sh \
	tests/integration/qemud-domcaps.sh \
	tests/integration/qemud-features.sh \
	tests/integration/qemud-cpu-memory.sh \
	tests/integration/qemud-python.sh \
	tests/integration/qemud-readonly.sh \
	tests/integration/qemud-lifecycle.sh \
	tests/integration/qemud-malformed.sh \
	tests/integration/qemud-limits.sh \
	tests/integration/qemud-keepalive.sh \
	tests/integration/qemud-polkit.sh \
	tests/integration/qemud-cli.sh \
	tests/integration/qemud-domain-virsh.sh \
	tests/integration/qemud-domain-restart.sh \
	tests/integration/qemud-domain-reattach.sh \
	tests/integration/qemud-domain-nopidfd.sh \
	tests/integration/qemud-domain-hung.sh \
	tests/integration/qemud-domain-python.sh \
	tests/integration/qemud-domain-cli.sh \
	tests/integration/qemud-domain-bridge.sh \
	tests/integration/qemud-domain-network.sh \
	tests/integration/qemud-domain-console.sh \
	tests/integration/qemud-domain-race.sh \
	tests/integration/qemud-domain-livexml.sh \
	tests/integration/qemud-domain-spice.sh \
	tests/integration/qemud-domain-fs.sh \
	tests/integration/qemud-domain-tpm.sh \
	tests/integration/qemud-domain-start-killed.sh \
	tests/integration/qemud-path-policy.sh \
	tests/integration/qemud-isolation.sh \
	tests/integration/qemud-snapshot.sh \
	tests/integration/qemud-agent.sh \
	tests/integration/qemud-agent-lease.sh
# issue 11's acceptance: virt-install's definitions per OS, the test guest
# installed with its default graphics and sound and edited by virt-xml, every value the
# domain capabilities offer (domcaps_walk.py), both started under QEMU
QEMUD_INTEGRATION_TESTS += \
	tests/integration/qemud-virtinst-os.sh \
	tests/integration/qemud-virtinst-guest.sh \
	tests/integration/qemud-domcaps-walk.sh
EXTRA_DIST += tests/integration/domcaps_walk.py
INTEGRATION_TESTS += $(QEMUD_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_INTEGRATION_TESTS)

# modvirt-netd, each script in network namespaces of its own.
NETD_INTEGRATION_TESTS = \
	tests/integration/netd-basic.sh \
	tests/integration/netd-cli.sh \
	tests/integration/netd-guest.sh \
	tests/integration/netd-restart.sh \
	tests/integration/netd-docker.sh
# netd-guest, -restart, -docker: guests, restarts and Docker's firewall, in
# the namespaces netns.sh makes
EXTRA_DIST += tests/integration/netns.sh tests/integration/docker-ruleset.sh
# netd-readonly, -malformed, -race, -faults: read-only clients, hostile
# input, concurrent clients (raw calls from mvnetrpc.py), and parts that fail
# or change behind netd's back
NETD_INTEGRATION_TESTS += \
	tests/integration/netd-readonly.sh \
	tests/integration/netd-malformed.sh \
	tests/integration/netd-race.sh \
	tests/integration/netd-faults.sh
# netd-consistency: racing and half-failing changes keep clients, files and dnsmasq in step
NETD_INTEGRATION_TESTS += tests/integration/netd-consistency.sh
EXTRA_DIST += tests/integration/mvnetrpc.py
INTEGRATION_TESTS += $(NETD_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(NETD_INTEGRATION_TESTS)
EXTRA_DIST += tests/integration/lib.sh tests/integration/mvrpc.py tests/integration/mvlibvirt.py \
	tests/integration/spice_link.py tests/integration/proxy-daemons.sh

# modvirt-storaged: pools and volumes through virsh and python3-libvirt
STORAGED_INTEGRATION_TESTS = \
	tests/integration/storaged-basic.sh \
	tests/integration/storaged-transfer.sh
INTEGRATION_TESTS += $(STORAGED_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(STORAGED_INTEGRATION_TESTS)

# modvirt-storaged's pools and volumes through modvirt (compared with virsh),
# and a guest on a storaged volume; each skips while storaged is not built.
STORAGED_CLI_INTEGRATION_TESTS = \
	tests/integration/storaged-cli.sh \
	tests/integration/qemud-domain-volume.sh
INTEGRATION_TESTS += $(STORAGED_CLI_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(STORAGED_CLI_INTEGRATION_TESTS)

# secrets in modvirt-storaged through virsh and python3-libvirt, and a guest
# on a LUKS disk whose passphrase qemud asks storaged for
STORAGED_SECRET_INTEGRATION_TESTS = tests/integration/storaged-secrets.sh
INTEGRATION_TESTS += $(STORAGED_SECRET_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(STORAGED_SECRET_INTEGRATION_TESTS)

# modvirt-storaged: a stuck FUSE pool, kill -9 and bad input, an fs pool on
# a loop device, a guest on a qcow2 volume; each in a mount namespace of its
# own (storaged.sh)
STORAGED_HARD_INTEGRATION_TESTS = \
	tests/integration/storaged-stuck.sh \
	tests/integration/storaged-faults.sh \
	tests/integration/storaged-fs.sh \
	tests/integration/storaged-guest.sh
EXTRA_DIST += tests/integration/storaged.sh
INTEGRATION_TESTS += $(STORAGED_HARD_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(STORAGED_HARD_INTEGRATION_TESTS)

# qemud-domain-nopidfd.sh preloads it: pidfd_open() fails as on an old kernel.
noinst_LTLIBRARIES += tests/integration/libnopidfd.la
tests_integration_libnopidfd_la_SOURCES = tests/integration/nopidfd.c
tests_integration_libnopidfd_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere
tests_integration_libnopidfd_la_LIBADD = -ldl

# CONNECT_SET_IDENTITY: what modvirt-proxyd forwards, accepted only from root
IDENTITY_INTEGRATION_TESTS = tests/integration/set-identity.sh
INTEGRATION_TESTS += $(IDENTITY_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(IDENTITY_INTEGRATION_TESTS)

# virt-install (Debian's virtinst) through modvirt-proxyd and libvirt's
# default URI: the test guest created and booted with a pool's volume and a
# network's NIC; skips while proxyd is not built
PROXYD_CLIENT_INTEGRATION_TESTS = tests/integration/proxyd-virt-install.sh
INTEGRATION_TESTS += $(PROXYD_CLIENT_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(PROXYD_CLIENT_INTEGRATION_TESTS)

# modvirt-proxyd in front of qemud, netd and storaged: routing, errors,
# read-only, a daemon down, malformed frames
PROXYD_INTEGRATION_TESTS = tests/integration/proxyd-basic.sh
# qemu+ssh:// through a real sshd on a loopback port (Debian's
# openssh-server), with nc -U and with virt-ssh-helper
PROXYD_INTEGRATION_TESTS += tests/integration/proxyd-ssh.sh
INTEGRATION_TESTS += $(PROXYD_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(PROXYD_INTEGRATION_TESTS)

# modvirt-proxyd's remote listeners (issue 13), on random ports of
# 127.0.0.1 with a PKI and a sasldb made by the test: client certificates
# good and bad, hostile TLS clients, SIGHUP, bad files at start, events over
# TLS; SASL over TCP and TLS with the username allowlist
PROXYD_REMOTE_INTEGRATION_TESTS = tests/integration/proxyd-tls.sh \
	tests/integration/proxyd-sasl.sh
INTEGRATION_TESTS += $(PROXYD_REMOTE_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(PROXYD_REMOTE_INTEGRATION_TESTS)
EXTRA_DIST += tests/lib/pki.sh tests/integration/tlsprobe.py

# make install DESTDIR=... and the tree it makes
INSTALL_INTEGRATION_TESTS = tests/integration/install-tree.sh
# tools/install-system install/revert on such a tree with Debian's libvirt units
INSTALL_INTEGRATION_TESTS += tests/integration/install-system.sh
INTEGRATION_TESTS += $(INSTALL_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(INSTALL_INTEGRATION_TESTS)

# modvirt-proxyd: one client's domain, network and pool events through the
# proxy, kept across a kill -9 of qemud (the proxy replays the callbacks)
PROXYD_EVENTS_INTEGRATION_TESTS = tests/integration/proxyd-events.sh
INTEGRATION_TESTS += $(PROXYD_EVENTS_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(PROXYD_EVENTS_INTEGRATION_TESTS)

# modvirt-proxyd, from the clients' side: the virsh and python3-libvirt
# scripts that cover the most API again, through the proxy's libvirt-sock
# (via-proxy-X.sh runs X.sh with MV_VIA_PROXY=1, see lib.sh), a paste held
# back by a guest that does not read (client-to-daemon back-pressure); streams
# (console, a 1 GiB sparse volume both ways, a download nobody reads) and a
# stopped or killed netd behind it.  Each skips while proxyd is not built.
PROXYD_THROUGH_INTEGRATION_TESTS = \
	tests/integration/via-proxy-qemud-virsh.sh \
	tests/integration/via-proxy-qemud-python.sh \
	tests/integration/via-proxy-qemud-domain-virsh.sh \
	tests/integration/via-proxy-qemud-domain-python.sh \
	tests/integration/via-proxy-netd-basic.sh \
	tests/integration/via-proxy-storaged-basic.sh \
	tests/integration/via-proxy-storaged-secrets.sh \
	tests/integration/via-proxy-qemud-domain-console.sh \
	tests/integration/via-proxy-qemud-polkit.sh \
	tests/integration/proxyd-streams.sh \
	tests/integration/proxyd-stuck.sh
INTEGRATION_TESTS += $(PROXYD_THROUGH_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(PROXYD_THROUGH_INTEGRATION_TESTS)

# <iothreads> and <cputune> pinning checked on QEMU's threads; a PCI hostdev,
# a cpuset beyond the host, <shares> and SELinux labels refused at start;
# live tuning (vcpupin, setvcpus hotplug, setmem, schedinfo, numatune,
# migrate speed) on a running guest
QEMUD_TUNING_INTEGRATION_TESTS = tests/integration/qemud-tuning.sh \
	tests/integration/qemud-tuning-live.sh
INTEGRATION_TESTS += $(QEMUD_TUNING_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_TUNING_INTEGRATION_TESTS)

# <os firmware='efi'> chosen from ovmf's descriptors and booting the test
# guest under OVMF with <sysinfo> strings; the variable store's life
# (created, kept, undefine --nvram/--keep-nvram); secure boot with SMM
QEMUD_FIRMWARE_INTEGRATION_TESTS = tests/integration/qemud-firmware.sh
INTEGRATION_TESTS += $(QEMUD_FIRMWARE_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_FIRMWARE_INTEGRATION_TESTS)

# device hotplug on the test guest: disks (virtio, SCSI), NICs, a CD-ROM's
# medium, --live/--config, the guest's own view (guest.watch=1) and events
QEMUD_HOTPLUG_INTEGRATION_TESTS = tests/integration/qemud-hotplug.sh tests/integration/qemud-hotplug-network.sh \
	tests/integration/qemud-hotplug-volume.sh
INTEGRATION_TESTS += $(QEMUD_HOTPLUG_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_HOTPLUG_INTEGRATION_TESTS)

# save / restore / managed save with the test guest's counter going on;
# broken images refused by name; job progress and abort during a save
QEMUD_SAVE_INTEGRATION_TESTS = tests/integration/qemud-save.sh
INTEGRATION_TESTS += $(QEMUD_SAVE_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_SAVE_INTEGRATION_TESTS)

# modvirt-nodedevd: PCI detach/reattach/reset and qemud's managed hostdevs on
# a fake sysfs tree with a fake kernel (tests/nodedev/fakekernel.py)
INTEGRATION_TESTS += tests/integration/nodedevd-detach.sh
dist_check_SCRIPTS += tests/integration/nodedevd-detach.sh
EXTRA_DIST += tests/nodedev/fakekernel.py tests/nodedev/fixture-vfio.sh

# modvirt-nodedevd on this host's /sys: the truth from /sys, virsh,
# python3-libvirt, the read-only socket, proxyd, bad input; and the same
# host through Debian's libvirtd (skips without /usr/sbin/libvirtd)
NODEDEVD_INTEGRATION_TESTS = \
	tests/integration/nodedevd-basic.sh \
	tests/integration/via-proxy-nodedevd-basic.sh \
	tests/integration/nodedevd-libvirtd.sh
EXTRA_DIST += tests/integration/nodedev_truth.py
INTEGRATION_TESTS += $(NODEDEVD_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(NODEDEVD_INTEGRATION_TESTS)

# lib-core (issue 14): the node device fixtures' goldens against Debian's
# libvirtd reading the same fake sysfs trees
NODEDEVD_FIXTURES_INTEGRATION_TESTS = tests/integration/nodedevd-fixtures-libvirt.sh
INTEGRATION_TESTS += $(NODEDEVD_FIXTURES_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(NODEDEVD_FIXTURES_INTEGRATION_TESTS)

# modvirt-nodedevd's events from the kernel's uevents, in a network and
# mount namespace of the script's own: veths (and dummies) made and deleted
# there, filtered registrations, the per-connection limit, forged and lost
# uevents
NODEDEVD_EVENTS_INTEGRATION_TESTS = tests/integration/nodedevd-events.sh
INTEGRATION_TESTS += $(NODEDEVD_EVENTS_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(NODEDEVD_EVENTS_INTEGRATION_TESTS)
EXTRA_DIST += tests/integration/nodedev_events.py

# modvirt-nodedevd through our own CLI and through modvirt-proxyd (virsh,
# python3-libvirt), against the truth of /sys
NODEDEVD_CLI_TESTS = tests/integration/nodedevd-cli.sh
INTEGRATION_TESTS += $(NODEDEVD_CLI_TESTS)
dist_check_SCRIPTS += $(NODEDEVD_CLI_TESTS)

# modvirt-nodedevd's mediated devices on the fake tree "mdev" with the fake
# kernel (tests/nodedev/fakekernel.py and its plugin fakekernel_mdev.py)
NODEDEVD_MDEV_INTEGRATION_TESTS = tests/integration/nodedevd-mdev.sh
INTEGRATION_TESTS += $(NODEDEVD_MDEV_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(NODEDEVD_MDEV_INTEGRATION_TESTS)

# libvirt's QEMU program (0x20008087): qemu-monitor-command (QMP, HMP),
# qemu-monitor-event and python3's libvirt_qemu on a real guest, directly
# and through modvirt-proxyd's libvirt-sock
QEMUPROG_INTEGRATION_TESTS = \
	tests/integration/qemud-qemuprog.sh \
	tests/integration/via-proxy-qemud-qemuprog.sh
INTEGRATION_TESTS += $(QEMUPROG_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUPROG_INTEGRATION_TESTS)

# issue 15, statistics: virsh domstats (keys as libvirtd 9.0's, recorded in
# tests/data/domstats), the per-domain stats calls, getAllDomainStats
QEMUD_STATS_INTEGRATION_TESTS = tests/integration/qemud-stats.sh
EXTRA_DIST += tests/data/domstats
INTEGRATION_TESTS += $(QEMUD_STATS_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(QEMUD_STATS_INTEGRATION_TESTS)
