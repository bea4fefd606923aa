#!/bin/bash
# Access control on the rw socket with the real polkitd (testbed recipe 1):
# a private D-Bus system bus in the temp dir, polkitd on it, a policy for
# org.modvirt.unix.manage (defaults no) and a rule that allows one throwaway
# group and asks another user for admin authentication.  There is no logind
# here, so the rule matches on group and user, not on sessions.
# Installed system-wide only while the script runs (removed in the trap):
#   /usr/share/polkit-1/actions/modvirt-test-PID.policy
#   /etc/polkit-1/rules.d/modvirt-test-PID.rules
#   users mvtaPID (in group mvtgPID), mvtdPID, mvtcPID and group mvtgPID
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

POLKITD=/usr/lib/polkit-1/polkitd
MV_NEEDS="hostname dbus-daemon dbus-send useradd userdel groupadd groupdel setpriv pkcheck"
plan=10
mv_init $plan

why=
[ -x "$POLKITD" ] || why="$POLKITD is not installed"
[ -d /etc/polkit-1/rules.d ] && [ -d /usr/share/polkit-1/actions ] || why=${why:-"no polkit directories"}
if [ -n "$why" ]; then
    for i in $(seq $plan); do skip "$why"; done
    exit 0
fi

host_name=$(hostname)
ACTION=org.modvirt.unix.manage
GROUP=mvtg$$
U_ALLOW=mvta$$       # in $GROUP: allowed
U_DENY=mvtd$$        # no rule: the action's default "no"
U_CHAL=mvtc$$        # the rule asks for admin authentication: no agent here
POLICY=/usr/share/polkit-1/actions/modvirt-test-$$.policy
RULES=/etc/polkit-1/rules.d/modvirt-test-$$.rules
BUS=$mv_tmp/system_bus_socket

# ---- setup: everything is undone by the EXIT trap, last first ----
at_exit "groupdel $GROUP"
at_exit "userdel $U_ALLOW; userdel $U_DENY; userdel $U_CHAL"
at_exit "rm -f '$POLICY' '$RULES'"
setup_err=
groupadd "$GROUP" 2>>"$mv_tmp/setup.err" || setup_err="groupadd $GROUP failed"
useradd -M -s /usr/sbin/nologin -G "$GROUP" "$U_ALLOW" 2>>"$mv_tmp/setup.err" || setup_err="useradd $U_ALLOW failed"
useradd -M -s /usr/sbin/nologin "$U_DENY" 2>>"$mv_tmp/setup.err" || setup_err="useradd $U_DENY failed"
useradd -M -s /usr/sbin/nologin "$U_CHAL" 2>>"$mv_tmp/setup.err" || setup_err="useradd $U_CHAL failed"
for u in $U_ALLOW $U_DENY $U_CHAL; do
    mkdir -p "$mv_tmp/home-$u" && chown "$u:" "$mv_tmp/home-$u"
done
cp "$MV_HELPERS/mvrpc.py" "$mv_tmp/mvrpc.py" && chmod 644 "$mv_tmp/mvrpc.py"

cat >"$POLICY" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policyconfig PUBLIC "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<policyconfig>
  <vendor>modvirt integration test (qemud-polkit.sh, removed at exit)</vendor>
  <action id="$ACTION">
    <description>Manage modvirt daemons</description>
    <message>Authentication is required to manage modvirt daemons</message>
    <defaults>
      <allow_any>no</allow_any>
      <allow_inactive>no</allow_inactive>
      <allow_active>no</allow_active>
    </defaults>
  </action>
</policyconfig>
EOF
cat >"$RULES" <<EOF
// modvirt integration test (qemud-polkit.sh), removed at exit
polkit.addRule(function(action, subject) {
    if (action.id == "$ACTION") {
        if (subject.isInGroup("$GROUP"))
            return polkit.Result.YES;
        if (subject.user == "$U_CHAL")
            return polkit.Result.AUTH_ADMIN;
    }
});
EOF
chmod 644 "$POLICY" "$RULES"    # polkitd reads them as user polkitd

cat >"$mv_tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root"><allow own="*"/></policy>
  <include ignore_missing="no">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
</busconfig>
EOF
dbus-daemon --config-file="$mv_tmp/bus.conf" --nofork --nopidfile --nosyslog >"$mv_tmp/bus.log" 2>&1 &
kill_at_exit $!
for _ in $(seq 100); do [ -S "$BUS" ] && break; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BUS
"$POLKITD" --no-debug >"$mv_tmp/polkitd.log" 2>&1 &
polkitd_pid=$!
kill_at_exit $polkitd_pid
polkit_up=no
for _ in $(seq 200); do
    if timeout 2 dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null | grep -q 'boolean true'; then
        polkit_up=yes
        break
    fi
    kill -0 $polkitd_pid 2>/dev/null || break
    sleep 0.05
done

if [ -n "$setup_err" ] || [ $polkit_up = no ]; then
    diag "setup failed: ${setup_err:-polkitd did not get its bus name}" "$(cat "$mv_tmp/setup.err" "$mv_tmp/polkitd.log" "$mv_tmp/bus.log" 2>/dev/null)"
    for i in $(seq $plan); do skip "polkit setup failed: ${setup_err:-polkitd did not start on the private bus}"; done
    exit 0
fi

MV_DBUS=$DBUS_SYSTEM_BUS_ADDRESS start_daemon

# as USER CMD...: CMD as USER (with its groups) inside the private namespace
as() {
    local u=$1
    shift
    MV_HOME=$mv_tmp/home-$u run isolated setpriv --reuid="$u" --regid="$u" --init-groups "$@"
}
# the log of whoever asks polkit: the daemon, or modvirt-proxyd in front of
# it (which then forwards the identity it let in; the daemon trusts that)
AUTH_LOG=$MV_LOG
via_proxy && AUTH_LOG=$MV_PROXY_LOG
polkit_checks() { grep -c 'polkit: action' "$AUTH_LOG"; }

# 1: the policy as polkitd sees it, without the daemon
setpriv --reuid="$U_ALLOW" --regid="$U_ALLOW" --init-groups sleep 30 & p_allow=$!
setpriv --reuid="$U_DENY" --regid="$U_DENY" --init-groups sleep 30 & p_deny=$!
kill_at_exit $p_allow
kill_at_exit $p_deny
# pkcheck must see the users' own processes: wait until setpriv exec'ed sleep
for p in $p_allow $p_deny; do
    for _ in $(seq 200); do [ "$(ps -o comm= -p "$p")" = sleep ] && break; sleep 0.05; done
done
timeout 10 pkcheck --action-id $ACTION --process $p_allow >"$mv_tmp/pk1" 2>&1
pk=$?
expect_eq "pkcheck for $U_ALLOW ($(cat "$mv_tmp/pk1"))" 0 "$pk"
timeout 10 pkcheck --action-id $ACTION --process $p_deny >"$mv_tmp/pk2" 2>&1
pk=$?
expect_eq "pkcheck for $U_DENY ($(cat "$mv_tmp/pk2"))" 1 "$pk"
stop_pid $p_allow 1
stop_pid $p_deny 1
verdict "polkitd on the private bus allows $U_ALLOW and denies $U_DENY (pkcheck)"

# 2
before=$(polkit_checks)
as "$U_ALLOW" virsh -c "$MV_URI" hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
expect_eq "stderr" "" "$err"
expect_match "log" "polkit: action $ACTION pid [0-9]+ uid $(id -u "$U_ALLOW"): authorized=1" "$(cat "$AUTH_LOG")"
[ "$(polkit_checks)" -gt "$before" ] || expect_fail "nobody asked polkit ($AUTH_LOG)"
via_proxy && expect_match "the daemon's log" "forwards the identity uid $(id -u "$U_ALLOW") \($U_ALLOW\)" "$(cat "$MV_LOG")"
verdict "$U_ALLOW (in group $GROUP) runs virsh hostname on the rw socket"

# 3
as "$U_DENY" virsh -c "$MV_URI" hostname
expect_eq "exit status" 1 "$rc"
expect_match "stderr" '^error: authentication failed: access denied by policy$' "$err"
expect_eq "stdout" "" "$out"
verdict "$U_DENY is refused: authentication failed: access denied by policy"

# 4-5: the same through python3-libvirt, by code and domain
pycheck='
import sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
try:
    c = libvirt.open(sys.argv[1])
    print("result=ok " + c.getHostname())
except libvirt.libvirtError as e:
    print("result=%d %d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message()))
'
as "$U_DENY" "$MV_PY" -c "$pycheck" "$MV_URI"
expect_eq "libvirt.open() as $U_DENY (code domain message)" \
    "45 60 authentication failed: access denied by policy" "$(kv result)"
verdict "python3-libvirt as $U_DENY: VIR_ERR_AUTH_FAILED (45) from VIR_FROM_POLKIT (60)"

as "$U_CHAL" "$MV_PY" -c "$pycheck" "$MV_URI"
expect_eq "libvirt.open() as $U_CHAL (code domain message)" \
    "94 60 authentication unavailable: no polkit agent available to authenticate action '$ACTION'" "$(kv result)"
verdict "an auth_admin answer without an agent: VIR_ERR_AUTH_UNAVAILABLE (94), not access"

# 6: at the wire level: AUTH_LIST offers polkit, a denial leaves the client unauthenticated
rawcheck='
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
p = c.call(mvrpc.PROC_AUTH_LIST)
print("auth_list=%s" % p.body.hex())
p = c.call(70)
e = p.error() if p.status else {}
print("auth_polkit=%d %s %s" % (p.status, e.get("code"), e.get("domain")))
p = c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("qemu:///system") + struct.pack(">I", 0))
print("open=%d %s" % (p.status, p.error().get("message") if p.status else ""))
p = c.call(mvrpc.PROC_CONNECT_GET_HOSTNAME)
print("after=%d %s" % (p.status, p.error().get("message") if p.status else p.string()))
'
as "$U_DENY" env PYTHONPATH="$mv_tmp" "$MV_PY" -c "$rawcheck" "$MV_RW"
expect_eq "AUTH_LIST (1 type: 2 = polkit)" 0000000100000002 "$(kv auth_list)"
expect_eq "AUTH_POLKIT (status code domain)" "1 45 60" "$(kv auth_polkit)"
expect_eq "CONNECT_OPEN after the denial" "1 authentication required" "$(kv open)"
expect_eq "CONNECT_GET_HOSTNAME after the denial" "1 authentication required" "$(kv after)"
verdict "wire level: AUTH_LIST offers polkit to $U_DENY; after the denial calls still need authentication"

# 7
as "$U_ALLOW" env PYTHONPATH="$mv_tmp" "$MV_PY" -c "$rawcheck" "$MV_RW"
expect_eq "AUTH_LIST" 0000000100000002 "$(kv auth_list)"
expect_eq "AUTH_POLKIT" "0 None None" "$(kv auth_polkit)"
expect_eq "CONNECT_OPEN after AUTH_POLKIT" "0 " "$(kv open)"
expect_eq "CONNECT_GET_HOSTNAME" "0 $host_name" "$(kv after)"
verdict "wire level: $U_ALLOW passes AUTH_POLKIT and may call"

# 8: root is let in without asking polkit
before=$(polkit_checks)
vsh hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
expect_eq "polkit checks by the daemon" "$before" "$(polkit_checks)"
verdict "root runs virsh hostname on the rw socket without a polkit check"

# 9
before=$(polkit_checks)
as "$U_DENY" virsh -r -c "$MV_URI_RO" hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
as "$U_DENY" virsh -r -c "$MV_URI_RO" define /dev/null
expect_match "define on ro as $U_DENY" 'operation forbidden: read only access prevents virDomainDefineXML' "$err"
expect_eq "polkit checks by the daemon" "$before" "$(polkit_checks)"
verdict "$U_DENY uses the ro socket without polkit, and it stays read-only"

# 10
expect_daemon_alive
kill -0 $polkitd_pid 2>/dev/null || expect_fail "polkitd died: $(tail -n 5 "$mv_tmp/polkitd.log")"
grep -E ': (error|critical):' "$MV_LOG" >"$mv_tmp/errors" && expect_fail "errors logged: $(head -n 5 "$mv_tmp/errors")"
verdict "the daemon and polkitd are still running; no errors logged"

mv_done
