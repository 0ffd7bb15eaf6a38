#!/usr/bin/env bash
# The baseline the lab is compared against: the same topology, images and FRR
# config (files written from the lab's model by bench/baseline/inputs.ts),
# built as a person would with the docker CLI and nsenter, then all-pairs ping.
#
#   bench/shell-baseline.sh DIR [up|down]      (root, on the engine's host)
#
# stdout: "phase <name> <epoch-ms>" marks; "fail <reason>" and exit 1 if not green.
set -Eeuo pipefail

dir=${1:?usage: shell-baseline.sh DIR [up|down]}
mode=${2:-up}
prefix=$(cat "$dir/prefix")
label=vxlan-lab.baseline=$prefix

now() { date +%s%3N; }
phase() { echo "phase $1 $(now)"; }
fail() {
  echo "fail $*"
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

# Background jobs; reap waits for all of them and fails if any did.
pids=()
spawn() {
  (
    trap - ERR
    "$@"
  ) &
  pids+=($!)
}
reap() {
  local p bad=0
  for p in "${pids[@]}"; do wait "$p" || bad=1; done
  pids=()
  return "$bad"
}

if [ "$mode" = down ]; then
  ids=$(docker ps -aq --filter "label=$label")
  # shellcheck disable=SC2086  # one word per container id
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  phase destroyed
  exit 0
fi
[ "$mode" = up ] || fail "unknown mode $mode (up or down)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A ctr pid todo
phase start

# Every namespace's neighbour entries count against the host's limits (1024 by
# default): a large lab's all-pairs ping overflows them and half the pings fail.
want=(4096 16384 32768)
for i in 1 2 3; do
  f=/proc/sys/net/ipv6/neigh/default/gc_thresh$i
  [ "$(cat "$f")" -ge "${want[i - 1]}" ] || echo "${want[i - 1]}" >"$f"
done

# Containers, all at once: an init to reap FRR's children, no Docker network
# (the lab wires its own links), named capabilities (--privileged fails here),
# IPv6 turned on by sysctls at create time.
while IFS=$'\t' read -r node _kind image name caps sysctls; do
  ctr[$node]=$name
  args=(--init --network none --name "$name" --hostname "$node" --label "$label")
  for c in ${caps//,/ }; do args+=(--cap-add "$c"); done
  for s in ${sysctls//,/ }; do args+=(--sysctl "$s"); done
  spawn docker run -d "${args[@]}" "$image" </dev/null >/dev/null
done <"$dir/nodes.tsv"
reap || fail "docker run"
phase containers

# Links: one veth pair straight between the two namespaces, both ends up.
while read -r name p; do pid[${name#/}]=$p; done < <(docker inspect -f '{{.Name}} {{.State.Pid}}' "${ctr[@]}")
while IFS=$'\t' read -r a ia b ib mtu; do
  pa=${pid[${ctr[$a]}]} pb=${pid[${ctr[$b]}]}
  nsenter -t "$pa" -n ip link add "$ia" mtu "$mtu" type veth peer name "$ib" mtu "$mtu" netns "$pb"
  nsenter -t "$pa" -n ip link set "$ia" up
  nsenter -t "$pb" -n ip link set "$ib" up
done <"$dir/links.tsv"
phase links

# FRR on routers and VTEPs (config owned by frr, or the daemons refuse it),
# addresses on the hosts: every node at once.
start_frr() {
  tar -C "$dir/$1" -c frr.conf daemons | docker exec -i "${ctr[$1]}" sh -ec \
    'tar -x -C /etc/frr && chown frr:frr /etc/frr/frr.conf /etc/frr/daemons && /usr/lib/frr/frrinit.sh start >/dev/null'
}
run_in() { docker exec -i "${ctr[$1]}" sh -e <"$dir/$1/$2"; }
for n in "${!ctr[@]}"; do
  if [ -f "$dir/$n/frr.conf" ]; then spawn start_frr "$n"; fi
  if [ -f "$dir/$n/setup.sh" ]; then spawn run_in "$n" setup.sh; fi
done
reap || fail "FRR start or host setup"
phase frr

# Converged when every VTEP has a route to every other VTEP's loopback: one
# exec per VTEP, polling its own routing table (90 s, the lab's default).
# shellcheck disable=SC2016
wait_routes='missing() { r=$(ip -6 route show); for l; do echo "$r" | grep -q "^$l " || return 0; done; return 1; }
  end=$(($(date +%s) + 90)); while missing "$@"; do [ "$(date +%s)" -lt "$end" ] || exit 1; sleep 0.2; done'
mapfile -t loopbacks <"$dir/loopbacks.txt"
for line in "${loopbacks[@]}"; do
  v=${line%%$'\t'*} others=()
  for other in "${loopbacks[@]}"; do [ "$other" = "$line" ] || others+=("${other#*$'\t'}"); done
  spawn docker exec "${ctr[$v]}" sh -c "$wait_routes" sh "${others[@]}"
done
reap || fail "underlay not converged after 90 s"
phase converged

# The variant's own commands (bridge, VXLAN device, FDB entries), every node at once.
for n in "${!ctr[@]}"; do
  if [ -f "$dir/$n/overlay.sh" ]; then spawn run_in "$n" overlay.sh; fi
done
reap || fail "overlay commands"
phase overlay

# All pairs: per host, one exec pings every other host at once and prints the
# addresses that did not answer; only those are tried again, for up to 60 s.
# shellcheck disable=SC2016
ping_all='for a; do ping -6 -c1 -W1 "$a" >/dev/null 2>&1 || echo "$a" & done; wait'
mapfile -t hosts <"$dir/hosts.tsv"
for line in "${hosts[@]}"; do
  todo[${line%%$'\t'*}]=$(for o in "${hosts[@]}"; do [ "$o" = "$line" ] || echo "${o#*$'\t'}"; done)
done
end=$(($(now) + 60000))
while [ ${#todo[@]} -gt 0 ]; do
  for h in "${!todo[@]}"; do
    # shellcheck disable=SC2086  # the addresses are words
    spawn docker exec "${ctr[$h]}" sh -c "$ping_all" sh ${todo[$h]} >"$work/$h"
  done
  reap || fail "ping exec"
  left=""
  for h in "${!todo[@]}"; do
    todo[$h]=$(cat "$work/$h")
    if [ -n "${todo[$h]}" ]; then left+="$h -> ${todo[$h]//$'\n'/ }; "; else unset "todo[$h]"; fi
  done
  echo "ping: no answer: ${left:-none}" >&2
  if [ -n "$left" ] && [ "$(now)" -ge "$end" ]; then fail "not green after 60 s: $left"; fi
done
phase green
