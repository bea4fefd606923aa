# man/: manual pages (roff, shipped as written).
dist_man_MANS += man/modvirt-qemud.8 man/modvirt-qemud.conf.5 man/modvirt-netd.8 man/modvirt-netd.conf.5 \
	man/modvirt-storaged.8 man/modvirt-storaged.conf.5 \
	man/modvirt-proxyd.8 man/modvirt-proxyd.conf.5 \
	man/modvirt-remote.7
# modvirt-nodedevd(8)
dist_man_MANS += man/modvirt-nodedevd.8 man/modvirt-nodedevd.conf.5
