# netd/daemon.mk: filled in by its part (see netd/README.md).
