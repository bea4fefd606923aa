# The test guest for integration tests (sourced, not run; POSIX sh, so both
# the sh and the bash scripts can use it).  What the guest is and what it
# prints: tests/guest/README.md.
#
#   guest_build [FLAVOUR]            build it once into
#                                    $top_builddir/tests/guest/out (FLAVOUR
#                                    amd64: out-amd64, the generic kernel,
#                                    for 9p); sets and exports GUEST_KERNEL
#                                    and GUEST_INITRD
#   guest_domain_xml NAME LOG [XML]  domain XML booting it, serial console
#                                    logged to LOG; XML is added to <devices>
#   guest_wait_log LOG ERE SECS      wait for the guest to print ERE
#
# Needs top_srcdir and top_builddir (exported by "make check").  No "local"
# (not POSIX): the functions' own variables start with "_guest_".

GUEST_DIR=${top_builddir:?top_builddir must be set (run from make check)}/tests/guest/out
GUEST_KERNEL=
GUEST_INITRD=

# guest_build: 0 once the guest is there; the builder's status otherwise,
# 2 meaning a prerequisite is missing (no apt, no download), which tests may
# take as a reason to skip.  Up to date (newer than the builder script), it
# costs nothing.  Parallel "make check" jobs share one build through a lock,
# waited for at most GUEST_BUILD_WAIT seconds (default 600: a build that
# downloads the kernel takes well under a minute; longer means it hangs).
guest_build() {
    _guest_script="${top_srcdir:?top_srcdir must be set}/tests/guest/make-test-guest.sh"
    _guest_flavour=${1:-cloud}
    _guest_out=$GUEST_DIR
    [ "$_guest_flavour" = cloud ] || _guest_out=$GUEST_DIR-$_guest_flavour
    mkdir -p "$_guest_out" || return 1
    _guest_lock=${GUEST_DIR%/*}/build.lock
    if command -v flock >/dev/null 2>&1; then
        # -E 75: a status the builder never exits with, for the timeout
        flock -w "${GUEST_BUILD_WAIT:-600}" -E 75 "$_guest_lock" \
            sh "$_guest_script" "$_guest_out" "$_guest_flavour" >&2
        _guest_rc=$?
        if [ $_guest_rc -eq 75 ]; then
            echo "guest_build: waited ${GUEST_BUILD_WAIT:-600} s for $_guest_lock, which another build of the test guest still holds (a hung make-test-guest.sh? fuser -v on the lock names it); giving up" >&2
            return 1
        fi
    else
        sh "$_guest_script" "$_guest_out" "$_guest_flavour" >&2
        _guest_rc=$?
    fi
    [ $_guest_rc -eq 0 ] || return $_guest_rc
    GUEST_KERNEL=$_guest_out/vmlinuz
    GUEST_INITRD=$_guest_out/initrd.img
    export GUEST_KERNEL GUEST_INITRD
}

# guest_xml_escape TEXT: TEXT fit for an attribute in '' or element content.
guest_xml_escape() {
    printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
                           -e "s/'/\\&apos;/g" -e 's/"/\&quot;/g'
}

# guest_domain_xml NAME LOGFILE [DEVICES-XML]: the test guest as a domain
# (call guest_build first).  The kernel command line is "console=ttyS0
# panic=-1" plus $GUEST_APPEND if set (e.g. GUEST_APPEND=guest.net=dhcp).
# panic=-1 makes a broken guest reboot at once, and on_reboot/on_crash
# 'destroy' turn that into the end of the domain instead of a boot loop a
# test would have to time out on.  The serial log is written afresh
# (append='off'), so guest_wait_log never sees a previous boot's markers.
guest_domain_xml() {
    [ -n "$GUEST_KERNEL" ] || { echo "guest_domain_xml: call guest_build first" >&2; return 1; }
    _guest_name=$(guest_xml_escape "$1")
    _guest_log=$(guest_xml_escape "$2")
    _guest_cmdline=$(guest_xml_escape "console=ttyS0 panic=-1${GUEST_APPEND:+ $GUEST_APPEND}")
    cat <<EOF
<domain type='qemu'>
  <name>$_guest_name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$(guest_xml_escape "$GUEST_KERNEL")</kernel>
    <initrd>$(guest_xml_escape "$GUEST_INITRD")</initrd>
    <cmdline>$_guest_cmdline</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='pty'>
      <log file='$_guest_log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
EOF
    [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/    /'
    cat <<EOF
  </devices>
</domain>
EOF
}

# guest_wait_log LOGFILE ERE TIMEOUT_S: 0 as soon as LOGFILE has a line
# matching the extended regular expression ERE; 1 after TIMEOUT_S seconds,
# with the log's last lines on stderr (as TAP comments) to show how far the
# guest got.
guest_wait_log() {
    _guest_end=$(($(date +%s) + $3))
    while :; do
        grep -aEq -- "$2" "$1" 2>/dev/null && return 0
        [ "$(date +%s)" -lt "$_guest_end" ] || break
        sleep 0.1
    done
    {
        echo "# no /$2/ in $1 after $3 s; its last lines:"
        tail -n 15 "$1" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
    } >&2
    return 1
}

# ---- for the daemon tests (bash, after lib.sh) ----------------------------

# guest_test_init PLAN [FLAVOUR]: mv_init PLAN, then the guest (guest_build FLAVOUR): skips all PLAN cases if
# it cannot be built for want of a prerequisite, bails out if building it
# failed.  Then points MV_ROOT & co. at "root" and makes sure no guest of
# this test outlives it (guests outlive their daemon by design).
# MV_SKIP_GUEST_TESTS=1 skips them all: "make distcheck" sets it, since the
# main pass already booted every guest from the same sources.
guest_test_init() {
    mv_init "$1"
    if [ "${MV_SKIP_GUEST_TESTS:-0}" = 1 ]; then
        for _guest_i in $(seq "$1"); do skip "guest tests ran in the main pass (MV_SKIP_GUEST_TESTS=1)"; done
        exit 0
    fi
    guest_build "${2:-cloud}" 2>"$mv_tmp/guest.err"
    case $? in
    0) ;;
    2) for _guest_i in $(seq "$1"); do skip "cannot build the test guest: $(tail -n 1 "$mv_tmp/guest.err")"; done
       exit 0 ;;
    *) echo "Bail out! tests/guest/make-test-guest.sh failed"; sed 's/^/# /' "$mv_tmp/guest.err"; exit 1 ;;
    esac
    use_root root
    at_exit "pkill -9 -f -- '$MV_ROOT/run/modvirt/qemu/'"
}

# guest_state NAME: virsh domstate NAME, printed.
guest_state() { vsh domstate "$1"; printf '%s' "$out"; }

# guest_wait_state NAME STATE SECS: 0 once virsh domstate says STATE.
guest_wait_state() {
    _guest_i=0
    while [ $_guest_i -lt $(($3 * 10)) ]; do
        [ "$(guest_state "$1")" = "$2" ] && return 0
        sleep 0.1
        _guest_i=$((_guest_i + 1))
    done
    return 1
}

# stop_bg PID: ends a background job started as "isolated CMD &" — its child
# (the client) first, then the subshell.
stop_bg() { pkill -P "$1" 2>/dev/null; kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
