# storaged/backends.mk: filled in by its part (see storaged/README.md).
