# units/: systemd units for modvirt-qemud, -netd, -storaged, -nodedevd and -proxyd, generated from the .in templates.

# Where the units go; $(prefix)/lib/systemd/system is right for a /usr
# install (Debian) and keeps "make distcheck" inside its prefix.  Override
# with "make systemdsystemunitdir=DIR" (e.g. the output of
# "pkg-config --variable=systemdsystemunitdir systemd").
systemdsystemunitdir = $(prefix)/lib/systemd/system

units_generated = \
	units/modvirt-qemud.service \
	units/modvirt-qemud.socket \
	units/modvirt-qemud-ro.socket \
	units/modvirt-netd.service \
	units/modvirt-netd.socket \
	units/modvirt-netd-ro.socket \
	units/modvirt-storaged.service \
	units/modvirt-storaged.socket \
	units/modvirt-storaged-ro.socket \
	units/modvirt-proxyd.service \
	units/modvirt-proxyd.socket \
	units/modvirt-proxyd-ro.socket \
	units/modvirt-proxyd-tls.socket \
	units/modvirt-proxyd-tcp.socket

systemdsystemunit_DATA = $(units_generated)
CLEANFILES += $(units_generated)
EXTRA_DIST += \
	units/modvirt-qemud.service.in \
	units/modvirt-qemud.socket.in \
	units/modvirt-qemud-ro.socket.in \
	units/modvirt-netd.service.in \
	units/modvirt-netd.socket.in \
	units/modvirt-netd-ro.socket.in \
	units/modvirt-storaged.service.in \
	units/modvirt-storaged.socket.in \
	units/modvirt-storaged-ro.socket.in \
	units/modvirt-proxyd.service.in \
	units/modvirt-proxyd.socket.in \
	units/modvirt-proxyd-ro.socket.in \
	units/modvirt-proxyd-tls.socket.in \
	units/modvirt-proxyd-tcp.socket.in

# [@] keeps config.status from substituting the pattern itself.
units_subst = $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@runstatedir[@]|$(runstatedir)|g'

$(units_generated): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(units_subst) < $(srcdir)/$@.in > $@.tmp && \
	if grep -n '@[a-z_]*@' $@.tmp; then \
		echo "$@: unsubstituted variable" >&2; rm -f $@.tmp; exit 1; \
	fi && \
	mv -f $@.tmp $@
units/modvirt-qemud.service: $(srcdir)/units/modvirt-qemud.service.in
units/modvirt-qemud.socket: $(srcdir)/units/modvirt-qemud.socket.in
units/modvirt-qemud-ro.socket: $(srcdir)/units/modvirt-qemud-ro.socket.in
units/modvirt-netd.service: $(srcdir)/units/modvirt-netd.service.in
units/modvirt-netd.socket: $(srcdir)/units/modvirt-netd.socket.in
units/modvirt-netd-ro.socket: $(srcdir)/units/modvirt-netd-ro.socket.in
units/modvirt-storaged.service: $(srcdir)/units/modvirt-storaged.service.in
units/modvirt-storaged.socket: $(srcdir)/units/modvirt-storaged.socket.in
units/modvirt-storaged-ro.socket: $(srcdir)/units/modvirt-storaged-ro.socket.in
units/modvirt-proxyd.service: $(srcdir)/units/modvirt-proxyd.service.in
units/modvirt-proxyd.socket: $(srcdir)/units/modvirt-proxyd.socket.in
units/modvirt-proxyd-ro.socket: $(srcdir)/units/modvirt-proxyd-ro.socket.in
units/modvirt-proxyd-tls.socket: $(srcdir)/units/modvirt-proxyd-tls.socket.in
units/modvirt-proxyd-tcp.socket: $(srcdir)/units/modvirt-proxyd-tcp.socket.in

# Checks the units with systemd-analyze and starts the daemon the way the
# units describe it (systemd-socket-activate).
INTEGRATION_TESTS += tests/integration/units.sh
dist_check_SCRIPTS += tests/integration/units.sh

# modvirt-nodedevd(8)
units_generated += \
	units/modvirt-nodedevd.service \
	units/modvirt-nodedevd.socket \
	units/modvirt-nodedevd-ro.socket
EXTRA_DIST += \
	units/modvirt-nodedevd.service.in \
	units/modvirt-nodedevd.socket.in \
	units/modvirt-nodedevd-ro.socket.in
units/modvirt-nodedevd.service: $(srcdir)/units/modvirt-nodedevd.service.in
units/modvirt-nodedevd.socket: $(srcdir)/units/modvirt-nodedevd.socket.in
units/modvirt-nodedevd-ro.socket: $(srcdir)/units/modvirt-nodedevd-ro.socket.in
