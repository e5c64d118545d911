#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pairs in one command, as users of veth expect (IFLA_VIRTIF_PEER):
#   ip link add va type virtif peer name vb [netns NS] [address MAC]
# creates both ends, already paired and without a qdisc (like veth); ip -d
# link shows the pairing through the plugin; traffic crosses; the same over
# raw netlink; refusals: a taken name (EEXIST), linkstr and peer together
# (EINVAL), a peer on an existing interface (EOPNOTSUPP), all with a message;
# a refused peer leaves nothing behind. Deleting either end deletes both, in
# one unregistration, like veth, also across namespaces and when the
# namespace of one end goes; re-pairing the two with linkstr keeps that;
# once one end has another linkstr, deleting it leaves the other.
. "${0%/*}/lib.sh"

[ -f "$IP_LIB_DIR/link_virtif.so" ] || fail "iproute2 plugin not built (make samples)"
virtif_load
netns_add pc
check "ip link add va ... peer name vb netns pc" \
	ip link add va address 02:00:00:c0:00:01 type virtif peer name vb netns pc address 02:00:00:c0:00:02
ip -d link show va | grep -q "virtif linkstr pair:vb" || fail "ip -d link show va: $(ip -d link show va)"
ip -n pc -d link show vb | grep -q "virtif linkstr pair:va" || fail "ip -d link show vb: $(ip -n pc -d link show vb)"
expect_eq "address of va" "$(cat /sys/class/net/va/address)" 02:00:00:c0:00:01
expect_eq "address of vb" "$(ip netns exec pc cat /sys/class/net/vb/address)" 02:00:00:c0:00:02
ip addr add 10.25.0.1/24 dev va && ip link set va up
ip -n pc addr add 10.25.0.2/24 dev vb && ip -n pc link set vb up
expect_carrier - va 1
expect_carrier pc vb 1
ip link show va | grep -q "qdisc noqueue" || fail "va has a qdisc: $(ip link show va)"
check "ping across the new pair" ping -c 3 -i 0.2 -W 5 10.25.0.2

# Raw netlink, default peer name.
check "netlink: add vc --peer vd" "$NL" add vc --peer vd
expect_eq "vc" "$(linkstr vc)" pair:vd
expect_eq "vd" "$(linkstr vd)" pair:vc
out=$(ip link add ve type virtif peer 2>&1) || fail "peer without a name: $out"
peer=$(linkstr ve) && peer=${peer#pair:}
case $peer in virtif[0-9]*) ;; *) fail "default peer name: '$peer'" ;; esac
expect_eq "the default-named peer" "$(linkstr "$peer")" pair:ve

# Refusals, with a message, and nothing left behind.
out=$(ip link add vg type virtif peer name vc 2>&1) && fail "peer named like an existing interface"
ip link show vg >/dev/null 2>&1 && fail "vg exists after its peer was refused"
out=$("$NL" add vh --linkstr loop --peer vi)
case "$out" in "error: EINVAL ("*"): virtif: "*) ;; *) fail "linkstr and peer: '$out'" ;; esac
ip link show vh >/dev/null 2>&1 && fail "vh exists after a refused creation"
ip link show vi >/dev/null 2>&1 && fail "vi exists after a refused creation"
# (Over raw netlink: `ip link set ... peer name X` fails in ip itself.)
out=$("$NL" set vc --peer vj) && fail "peer on an existing interface accepted"
# (EOPNOTSUPP, 95, which Python names ENOTSUP.)
case "$out" in "error: "*" (95): virtif: a peer is created with its interface"*) ;; *) fail "changelink peer: '$out'" ;; esac

gone() { ! in_ns "$1" ip link show dev "$2" >/dev/null 2>&1; }
# Deleting one end deletes the other, in its own namespace, in the same
# request: it is gone when `ip link del` returns.
ip link del va || fail "del va"
gone pc vb || fail "vb (in pc) outlived va: $(ip -n pc link show vb)"
ip link del vd || fail "del vd"
gone - vc || fail "vc outlived vd"
ip link del ve || fail "del ve"
gone - "$peer" || fail "$peer outlived ve"
# The namespace of one end goes: the other end goes with it.
netns_add pd
check "add vk ... peer name vl netns pd" ip link add vk type virtif peer name vl netns pd
netns_del pd || fail "netns del pd"
NETNS=(pc)
wait_for 10 gone - vk || fail "vk outlived its peer's namespace"
# Re-pairing the same two with linkstr keeps them together.
check "add vm ... peer name vn" ip link add vm type virtif peer name vn
set_linkstr vn pair:vm
expect_eq "vm after re-pairing" "$(linkstr vm)" pair:vn
ip link del vn || fail "del vn"
gone - vm || fail "vm outlived vn after re-pairing"
# Another linkstr on one end dissolves the pair: deleting it then leaves
# the other, without carrier and backend, ready to be paired again.
check "add vo ... peer name vp" ip link add vo type virtif peer name vp
ip link set vo up && ip link set vp up
expect_carrier - vp 1
ip link set vo down
set_linkstr vo loop
expect_eq "vp after vo took loop" "$(linkstr vp)" ""
ip link del vo || fail "del vo"
ip link show vp >/dev/null 2>&1 || fail "vp went with vo, which was no longer its peer"
expect_carrier - vp 0
# Joined with linkstr pair:, an end goes alone.
ip link add vq type virtif || fail "add vq"
ip link set vp down
set_linkstr vp pair:vq
ip link del vq || fail "del vq"
ip link show vp >/dev/null 2>&1 || fail "vp went with vq, joined by linkstr"
expect_eq "vp after vq went" "$(linkstr vp)" ""
ip link del vp || fail "del vp"
[ -z "$(ip -o link show type virtif)" ] || fail "interfaces left: $(ip -o link show type virtif)"
[ -z "$(ip -n pc -o link show type virtif)" ] || fail "interfaces left in pc: $(ip -n pc -o link show type virtif)"
exit 0
