# storaged/volfile.mk: filled in by its part (see storaged/README.md).
