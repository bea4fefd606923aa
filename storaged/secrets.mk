# storaged/secrets.mk: filled in by its part (see storaged/README.md).
