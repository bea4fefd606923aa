# netd/dnsmasq.mk: filled in by its part (see netd/README.md).
