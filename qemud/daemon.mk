# modvirt-qemud itself: RPC handlers, the domain driver and main (host facts
# and the domain XML, QEMU command line, QMP and tap libraries are in the
# other qemud/*.mk fragments).
sbin_PROGRAMS += qemud/modvirt-qemud
qemud_modvirt_qemud_SOURCES = \
	qemud/qemud.h \
	qemud/main.c \
	qemud/driver.c qemud/driver.h \
	qemud/host_facts.c qemud/host_facts.h \
	qemud/host_procs.c \
	qemud/domain_obj.c qemud/domain_obj.h \
	qemud/domain_job.c qemud/domain_job.h \
	qemud/domain_call.c qemud/domain_call.h \
	qemud/domain_replace.c qemud/domain_replace.h \
	qemud/domain_task.c qemud/domain_task.h \
	qemud/domain_store.c qemud/domain_store.h \
	qemud/domain_dir.c qemud/domain_dir.h \
	qemud/domain_events.c qemud/domain_events.h \
	qemud/domain_monitor.c qemud/domain_monitor.h \
	qemud/domain_process.c qemud/domain_process.h qemud/domain_process_priv.h \
	qemud/domain_process_start.c qemud/domain_process_prepare.c qemud/domain_process_runtime.c \
	qemud/domain_process_net.c qemud/domain_process_log.c qemud/domain_process_pid.c \
	qemud/domain_process_stop.c qemud/domain_process_reattach.c qemud/domain_process_isolation.c \
	qemud/guest_isolation.h qemud/guest_sandbox.c qemud/guest_sandbox.h \
	qemud/guest_cgroup.c qemud/guest_cgroup.h \
	qemud/domain_fs.c qemud/domain_fs.h \
	qemud/cputune.c qemud/cputune.h qemud/hostdev_pci.c qemud/hostdev_pci.h \
	qemud/seclabel.c qemud/seclabel.h \
	qemud/network_port.c qemud/network_port.h \
	qemud/storage_volume.c qemud/storage_volume.h \
	qemud/peer_conn.c qemud/peer_conn.h \
	qemud/disk_secret.c qemud/disk_secret.h \
	qemud/display_ports.c qemud/display_ports.h \
	qemud/guest_path_policy.c qemud/guest_path_policy.h \
	qemud/domain_wire.c qemud/domain_wire.h \
	qemud/proc_stat.c qemud/proc_stat.h qemud/proc_presence.c \
	qemud/sidecar.c qemud/sidecar.h \
	qemud/tpm.c qemud/tpm.h \
	qemud/tpm_setup_conf.c qemud/tpm_setup_conf.h \
	qemud/guest_identity.c qemud/guest_identity.h \
	qemud/domain_procs.c \
	qemud/lifecycle_procs.c \
	qemud/tuning.h qemud/tuning_procs.c qemud/typed_params.c qemud/typed_params.h \
	qemud/vcpu_live.c qemud/vcpu_live.h qemud/sched_params.c qemud/sched_params.h qemud/numa_params.c \
	qemud/hotplug.h qemud/hotplug_procs.c qemud/hotplug_qmp.c qemud/hotplug_json.c qemud/hotplug_json.h qemud/hotplug_disk.c qemud/hotplug_net.c \
	qemud/hotplug_controller.c qemud/hotplug_update.c \
	qemud/console.c \
	qemud/agent.c qemud/agent.h qemud/agent_lease.c qemud/agent_lease.h qemud/agent_procs.c \
	qemud/save_image.c qemud/save_image.h qemud/save_procs.c qemud/save_procs.h \
	qemud/job_info.c qemud/job_info.h \
	qemud/snapshot_def.c qemud/snapshot_def.h qemud/snapshot_store.c qemud/snapshot_store.h \
	qemud/snapshot_priv.h qemud/snapshot_procs.c qemud/snapshot_internal.c qemud/snapshot_external.c \
	qemud/stats.h qemud/stats_collect.c qemud/stats_qmp.c qemud/stats_host.c \
	qemud/stats_params.c qemud/stats_params.h qemud/stats_bulk.c qemud/stats_procs.c
qemud_modvirt_qemud_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS)
qemud_modvirt_qemud_LDADD = qemud/libmvguestfiles.la qemud/libmvqemucmd.la qemud/libmvdomainconf.la qemud/libmvqmp.la \
	qemud/libmvtap.la qemud/libmvqemuhost.la rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la \
	common/libmvcommon.la $(SYSTEMD_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread

# Domain objects on the driver core, with the daemon's own object code (no
# main.c, driver.c or procedures); --wrap lets the test see every format.
check_PROGRAMS += tests/unit/check_qemud_domobj
UNIT_TESTS += tests/unit/check_qemud_domobj
tests_unit_check_qemud_domobj_SOURCES = tests/unit/check_qemud_domobj.c \
	qemud/domain_obj.c qemud/domain_job.c qemud/domain_task.c qemud/domain_store.c qemud/domain_dir.c \
	qemud/domain_events.c qemud/domain_monitor.c qemud/domain_process.c qemud/domain_fs.c qemud/network_port.c \
	qemud/domain_process_start.c qemud/domain_process_prepare.c qemud/domain_process_runtime.c \
	qemud/domain_process_net.c qemud/domain_process_log.c qemud/domain_process_pid.c \
	qemud/domain_process_stop.c qemud/domain_process_reattach.c qemud/domain_process_isolation.c \
	qemud/guest_sandbox.c qemud/guest_cgroup.c qemud/guest_identity.c qemud/guest_path_policy.c \
	qemud/storage_volume.c qemud/peer_conn.c qemud/disk_secret.c qemud/display_ports.c qemud/proc_stat.c qemud/proc_presence.c qemud/host_facts.c \
	qemud/sidecar.c qemud/cputune.c qemud/hostdev_pci.c qemud/seclabel.c qemud/tpm.c qemud/tpm_setup_conf.c \
	qemud/agent.c
tests_unit_check_qemud_domobj_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_domobj_LDFLAGS = -Wl,--wrap=mv_dom_def_format
tests_unit_check_qemud_domobj_LDADD = tests/unit/libmvtest.la qemud/libmvguestfiles.la qemud/libmvqemucmd.la qemud/libmvdomainconf.la \
	qemud/libmvqmp.la qemud/libmvtap.la qemud/libmvqemuhost.la rpc/libmvserver.la rpc/libmvwire.la common/libmvprocess.la \
	common/libmvcommon.la $(CHECK_LIBS) $(SYSTEMD_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread

# The save image's header and file handling: truncated, foreign and
# oversized headers refused, a written image read back, XML rewritten in place.
check_PROGRAMS += tests/unit/check_qemud_save_image
UNIT_TESTS += tests/unit/check_qemud_save_image
tests_unit_check_qemud_save_image_SOURCES = tests/unit/check_qemud_save_image.c qemud/save_image.c
tests_unit_check_qemud_save_image_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_save_image_LDADD = tests/unit/libmvtest.la common/libmvcommon.la $(CHECK_LIBS)

# Sidecar processes with real children: the test runs itself as the
# sidecar (listens on its socket, exits early, never listens).
check_PROGRAMS += tests/unit/check_qemud_sidecar
UNIT_TESTS += tests/unit/check_qemud_sidecar
tests_unit_check_qemud_sidecar_SOURCES = tests/unit/check_qemud_sidecar.c qemud/sidecar.c qemud/proc_stat.c \
	qemud/proc_presence.c
tests_unit_check_qemud_sidecar_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/qemud
# /proc and pidfd_open failures the kernel gives only by chance, injected
tests_unit_check_qemud_sidecar_LDFLAGS = -Wl,--wrap=qemud_proc_stat_read -Wl,--wrap=mv_pidfd_open
tests_unit_check_qemud_sidecar_LDADD = tests/unit/libmvtest.la rpc/libmvwire.la common/libmvprocess.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) -lpthread
# tpm.c with the real swtpm_setup and swtpm: the daemon's own CA, no
# half-made state, socket paths
check_PROGRAMS += tests/unit/check_qemud_tpm
UNIT_TESTS += tests/unit/check_qemud_tpm
tests_unit_check_qemud_tpm_SOURCES = tests/unit/check_qemud_tpm.c qemud/tpm.c qemud/tpm_setup_conf.c \
	qemud/sidecar.c qemud/proc_stat.c qemud/proc_presence.c
tests_unit_check_qemud_tpm_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_tpm_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la qemud/libmvdomainconf.la \
	rpc/libmvwire.la common/libmvprocess.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) -lpthread
# hostdev_pci.c's checks on fake /sys and /dev trees
check_PROGRAMS += tests/unit/check_qemud_hostdev
UNIT_TESTS += tests/unit/check_qemud_hostdev
tests_unit_check_qemud_hostdev_SOURCES = tests/unit/check_qemud_hostdev.c qemud/hostdev_pci.c qemud/hostdev_claims.c
tests_unit_check_qemud_hostdev_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_hostdev_LDADD = tests/unit/libmvtest.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS)

# guest_cgroup.c on the host's real cgroup2 hierarchy: a spawned child
# joins its group before it executes, limits, removal, the sweep
check_PROGRAMS += tests/unit/check_qemud_guest_cgroup
UNIT_TESTS += tests/unit/check_qemud_guest_cgroup
tests_unit_check_qemud_guest_cgroup_SOURCES = tests/unit/check_qemud_guest_cgroup.c qemud/guest_cgroup.c
tests_unit_check_qemud_guest_cgroup_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_guest_cgroup_LDADD = tests/unit/libmvtest.la common/libmvprocess.la common/libmvcommon.la \
	$(CHECK_LIBS) -lpthread

# typed_params.c: replies built field by field, calls' lists checked by name and type
check_PROGRAMS += tests/unit/check_qemud_typed_params
UNIT_TESTS += tests/unit/check_qemud_typed_params
tests_unit_check_qemud_typed_params_SOURCES = tests/unit/check_qemud_typed_params.c qemud/typed_params.c
tests_unit_check_qemud_typed_params_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_typed_params_LDADD = tests/unit/libmvtest.la rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS)

# guest_identity.c with a real qemud.conf and the host's real passwd and
# group databases: ranges, fixed users, the held set under threads
check_PROGRAMS += tests/unit/check_qemud_guest_identity
UNIT_TESTS += tests/unit/check_qemud_guest_identity
tests_unit_check_qemud_guest_identity_SOURCES = tests/unit/check_qemud_guest_identity.c qemud/guest_identity.c
tests_unit_check_qemud_guest_identity_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/qemud
# a group without a user of the same number, which no test host has
tests_unit_check_qemud_guest_identity_LDFLAGS = -Wl,--wrap=getgrgid_r
tests_unit_check_qemud_guest_identity_LDADD = tests/unit/libmvtest.la rpc/libmvwire.la common/libmvcommon.la \
	$(CHECK_LIBS) -lpthread

# The guest path policy on real files, links and device nodes under a
# private --root (display_ports.c for the sockets qemud picks itself)
check_PROGRAMS += tests/unit/check_qemud_path_policy
UNIT_TESTS += tests/unit/check_qemud_path_policy
tests_unit_check_qemud_path_policy_SOURCES = tests/unit/check_qemud_path_policy.c qemud/guest_path_policy.c \
	qemud/display_ports.c
tests_unit_check_qemud_path_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/qemud
tests_unit_check_qemud_path_policy_LDADD = tests/unit/libmvtest.la qemud/libmvqemuhost.la qemud/libmvdomainconf.la \
	rpc/libmvwire.la common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS) -lpthread

# managed PCI hostdevs detached and reattached by modvirt-nodedevd, and
# which running domain holds which host function
# libvirt's QEMU program (0x20008087): monitor passthrough and monitor events
qemud_modvirt_qemud_SOURCES += qemud/qemu_program_procs.c qemud/qemu_program.h

qemud_modvirt_qemud_SOURCES += qemud/hostdev_managed.c qemud/hostdev_managed.h \
	qemud/hostdev_claims.c qemud/hostdev_claims.h
tests_unit_check_qemud_domobj_SOURCES += qemud/hostdev_managed.c qemud/hostdev_claims.c
# domain_process_stop.c forgets a transient domain's snapshot metadata
tests_unit_check_qemud_domobj_SOURCES += qemud/snapshot_store.c qemud/snapshot_def.c

# Snapshot XML: tests/snapshotxml/NAME.xml -> NAME.out.xml, NAME-invalid.xml -> .err
check_PROGRAMS += tests/unit/check_qemud_snapshot_def
UNIT_TESTS += tests/unit/check_qemud_snapshot_def
tests_unit_check_qemud_snapshot_def_SOURCES = tests/unit/check_qemud_snapshot_def.c qemud/snapshot_def.c
tests_unit_check_qemud_snapshot_def_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_snapshot_def_LDADD = tests/unit/libmvtest.la qemud/libmvdomainconf.la common/libmvcommon.la \
	$(CHECK_LIBS) $(LIBXML_LIBS)
EXTRA_DIST += tests/snapshotxml

# Domain statistics: QEMU's answers, the domstats keys and the host's files
# (stats_*.c) without a daemon
check_PROGRAMS += tests/unit/check_qemud_stats
UNIT_TESTS += tests/unit/check_qemud_stats
tests_unit_check_qemud_stats_SOURCES = tests/unit/check_qemud_stats.c qemud/stats_qmp.c qemud/stats_params.c \
	qemud/stats_host.c
tests_unit_check_qemud_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/qemud
tests_unit_check_qemud_stats_LDADD = tests/unit/libmvtest.la qemud/libmvdomainconf.la rpc/libmvwire.la \
	common/libmvcommon.la $(CHECK_LIBS) $(LIBXML_LIBS) $(JSONC_LIBS)
