# netd/firewall.mk: filled in by its part (see netd/README.md).
