#!/bin/bash
# A nat network next to Docker's leftovers.  Docker's "table ip filter" has
# a FORWARD chain with policy drop (docker-ruleset.sh: Docker's own
# iptables-nft calls, run in the test's host namespace before netd starts):
# a packet must pass every base chain on
# the hook, so that chain silently drops libvirt-style NAT traffic.
# net-start must then either make forwarding work (through Docker's
# DOCKER-USER hook) or warn, naming the chain.  Whichever it does, Docker's
# tables are otherwise left as they were, and net-destroy takes away all
# that netd added.  The "guest" is a namespace plugged into the bridge by a
# veth (netns.sh's nt_fake_guest): packets, not QEMU, are what matter here.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_NEEDS="ip nft iptables-nft busybox $MV_NETD"
DOCKER_RULES=$top_srcdir/tests/integration/docker-ruleset.sh
NET=192.168.120
BR=ntdk
PLAN=4

mv_init $PLAN
use_root root
nt_init
nt_host sh "$DOCKER_RULES" || { echo "Bail out! $DOCKER_RULES failed in $NT_HOST"; exit 1; }
docker() { nt_host nft -s list table ip filter 2>&1; nt_host nft -s list table ip nat 2>&1; }
docker_before=$(docker)
nt_start_netd
nt_drop_default

cat >"$mv_tmp/dk.xml" <<EOF
<network>
  <name>dk</name>
  <forward mode='nat'/>
  <bridge name='$BR' stp='off' delay='0'/>
  <ip address='$NET.1' prefix='24'>
    <dhcp><range start='$NET.100' end='$NET.200'/></dhcp>
  </ip>
</network>
EOF

# 1
nvsh net-define "$mv_tmp/dk.xml"
expect_eq "net-define" 0 "$rc"
mark=$(wc -l <"$NT_NETD_LOG")
nvsh net-start dk
expect_eq "net-start" 0 "$rc"
start_out="$out $err"
start_log=$(tail -n +$((mark + 1)) "$NT_NETD_LOG")
[ $rc -eq 0 ] || diag "$(run_evidence)"
verdict "net-start of a nat network with Docker's FORWARD policy drop in place"

# 2
nt_fake_guest "$BR" "$NET.50/24" "$NET.1"
if nt_wait 10 nt_fake busybox ping -c 1 -W 1 "$NT_INET" >/dev/null 2>&1; then
    outcome="forwards"
    expect_match "the outside saw the host's uplink" "(^| )$NT_UPLINK " "$(nt_sources | tr '\n' ' ')"
    expect_nomatch "the outside saw the guest's own address" "(^| )$NET\.50 " "$(nt_sources | tr '\n' ' ')"
    diag "forwarding works: DOCKER-USER now holds" "$(nt_host nft list chain ip filter DOCKER-USER 2>&1)"
else
    outcome="warns"
    # the warning, wherever netd put it: the client's output or its log
    expect_match "a warning naming Docker's chain" "FORWARD" "$start_out $start_log"
    expect_match "and the fix" "DOCKER-USER" "$start_out $start_log"
fi
[ -z "$case_errs" ] || nt_netd_log_diag
verdict "the network's guest reaches the outside, or netd warned naming the chain ($outcome)"

# 3
docker_running=$(docker)
if [ "$outcome" = forwards ]; then
    # the only change allowed: rules of ours in DOCKER-USER
    strip() { printf '%s\n' "$1" | awk '/chain DOCKER-USER/ { u = 1 } u && /}/ { u = 0 } !u || /chain DOCKER-USER|return/'; }
    expect_eq "Docker's tables outside DOCKER-USER" "$(strip "$docker_before")" "$(strip "$docker_running")"
else
    expect_eq "Docker's tables" "$docker_before" "$docker_running"
fi
expect_match "FORWARD still policy drop" "chain FORWARD.*policy drop" "$(printf '%s' "$docker_running" | tr '\n' ' ')"
verdict "Docker's tables are otherwise as Docker left them"

# 4
nvsh net-destroy dk
expect_eq "net-destroy" 0 "$rc"
expect_eq "Docker's tables after net-destroy" "$docker_before" "$(docker)"
expect_nomatch "nft tables in $NT_HOST" modvirt "$(nt_host nft list tables 2>&1)"
expect_match "$BR" "does not exist" "$(ip -n "$NT_HOST" link show dev "$BR" 2>&1)"
kill -0 "$NT_NETD_PID" 2>/dev/null || expect_fail "netd (pid $NT_NETD_PID) died"
verdict "net-destroy leaves Docker's tables exactly as they were, and nothing of ours"
mv_done
