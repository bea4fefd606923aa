# data/: what "make install" puts next to the binaries, units and man pages:
# the polkit actions, the runtime directories (tmpfiles.d) and a commented
# default configuration file for every daemon.

# polkit reads actions only from /usr/share/polkit-1/actions: with the
# default prefix (/usr/local) install with
# "make polkitactiondir=/usr/share/polkit-1/actions" (tools/install-system
# says so when the policy is not where polkit looks).
polkitactiondir = $(datadir)/polkit-1/actions
dist_polkitaction_DATA = data/org.modvirt.policy

# $(prefix)/lib/tmpfiles.d is on systemd-tmpfiles' path for /usr and /usr/local
tmpfilesdir = $(prefix)/lib/tmpfiles.d
tmpfiles_DATA = data/modvirt.conf
EXTRA_DIST += data/modvirt.tmpfiles.in

# modvirt-NAME.conf: the settings every daemon has, then its own, all
# commented out (the defaults, as the daemons apply them)
MV_CONF_DAEMONS = qemud netd storaged proxyd
mv_default_configs = $(MV_CONF_DAEMONS:%=data/modvirt-%.conf)
noinst_DATA = $(mv_default_configs)
CLEANFILES += data/modvirt.conf $(mv_default_configs)
EXTRA_DIST += data/conf/server.conf $(MV_CONF_DAEMONS:%=data/conf/%.conf)
modvirtconfdir = $(sysconfdir)/modvirt

data_subst = $(SED) -e 's|@runstatedir[@]|$(runstatedir)|g'

data/modvirt.conf: $(srcdir)/data/modvirt.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) data && $(data_subst) < $(srcdir)/data/modvirt.tmpfiles.in > $@.tmp && mv -f $@.tmp $@

data/modvirt-%.conf: $(srcdir)/data/conf/server.conf $(srcdir)/data/conf/%.conf Makefile
	$(AM_V_GEN)$(MKDIR_P) data && \
	{ echo "# $(modvirtconfdir)/modvirt-$*.conf: the settings of modvirt-$*(8)"; \
	  cat $(srcdir)/data/conf/server.conf $(srcdir)/data/conf/$*.conf; } | \
	$(data_subst) -e 's|@DAEMON[@]|modvirt-$*|g' > $@.tmp && mv -f $@.tmp $@

# A configuration file is the administrator's: installed only where there
# is none yet, and uninstalled only if unchanged.
install-data-local: $(mv_default_configs)
	$(MKDIR_P) '$(DESTDIR)$(modvirtconfdir)'
	@for f in $(mv_default_configs); do \
	  dest='$(DESTDIR)$(modvirtconfdir)/'`basename $$f`; \
	  if test -e "$$dest"; then \
	    echo "keeping $$dest (installed as it is)"; \
	  else \
	    echo " $(INSTALL_DATA) $$f '$$dest'"; \
	    $(INSTALL_DATA) $$f "$$dest" || exit 1; \
	  fi; \
	done

uninstall-local:
	@for f in $(mv_default_configs); do \
	  dest='$(DESTDIR)$(modvirtconfdir)/'`basename $$f`; \
	  if test -f "$$dest" && cmp -s $$f "$$dest"; then rm -f "$$dest"; \
	  elif test -e "$$dest"; then echo "keeping $$dest (changed since installed)"; fi; \
	done

# modvirt-nodedevd
MV_CONF_DAEMONS += nodedevd
