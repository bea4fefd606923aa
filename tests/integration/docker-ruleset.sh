#!/bin/sh
# What Docker (20.10+, iptables-nft backend) does to the firewall when its
# daemon starts with the default bridge docker0 (172.17.0.0/16), call by
# call: FORWARD's policy is drop, and DOCKER-USER is the chain Docker
# documents for the admin's own rules.  netd-docker.sh runs it in the
# test's host namespace (ip netns exec), never in the machine's own.
set -e
ipt=iptables-nft
$ipt -N DOCKER
$ipt -N DOCKER-ISOLATION-STAGE-1
$ipt -N DOCKER-ISOLATION-STAGE-2
$ipt -N DOCKER-USER
$ipt -A DOCKER-USER -j RETURN
$ipt -P FORWARD DROP
$ipt -A FORWARD -j DOCKER-USER
$ipt -A FORWARD -j DOCKER-ISOLATION-STAGE-1
$ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
$ipt -A FORWARD -o docker0 -j DOCKER
$ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
$ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT
$ipt -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
$ipt -A DOCKER-ISOLATION-STAGE-1 -j RETURN
$ipt -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
$ipt -A DOCKER-ISOLATION-STAGE-2 -j RETURN
$ipt -t nat -N DOCKER
$ipt -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
$ipt -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
$ipt -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
$ipt -t nat -A DOCKER -i docker0 -j RETURN
