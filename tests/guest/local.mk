# tests/guest/: the tiny test guest the integration tests boot (README.md).
# tests/integration/guest.sh builds it on demand into tests/guest/out of the
# build tree (a Debian cloud kernel and a busybox initramfs: no image is
# kept in the source tree).
GUEST_INTEGRATION_TESTS = tests/integration/guest-raw.sh
INTEGRATION_TESTS += $(GUEST_INTEGRATION_TESTS)
dist_check_SCRIPTS += $(GUEST_INTEGRATION_TESTS)
EXTRA_DIST += tests/guest/README.md tests/guest/make-test-guest.sh tests/integration/guest.sh
CLEANFILES += tests/guest/out/vmlinuz tests/guest/out/initrd.img tests/guest/build.lock \
	tests/guest/out-amd64/vmlinuz tests/guest/out-amd64/initrd.img
