# bench/lab.sh: the veth lab the live benchmarks share (sourced by bench/fanout.sh and bench/flood-agent.sh,
# not run): a network namespace $NS holding $VETH_NS, whose peer $VETH_ROOT stays in the root namespace, and
# the cleanup that removes it with the agent ($AGENT), every process left in the namespace and $TMP, even on
# failure. The sourcing script sets NS, VETH_ROOT, VETH_NS and TMP first.

# lab_cleanup: for `trap lab_cleanup EXIT`.
lab_cleanup() {
  set +e
  [[ -n ${AGENT:-} ]] && { kill -TERM "$AGENT" 2>/dev/null; wait "$AGENT" 2>/dev/null; }
  ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
  ip link del "$VETH_ROOT" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}

# lab_up [ROOT_ADDR/LEN NS_ADDR/LEN]: the namespace and the pair, both ends up, with these addresses if given.
# A namespace or veth left by an earlier run that was killed is removed first.
lab_up() {
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VETH_ROOT" 2>/dev/null || true
  ip netns add "$NS"
  ip link add "$VETH_ROOT" type veth peer name "$VETH_NS"
  ip link set "$VETH_NS" netns "$NS"
  [[ -z ${1:-} ]] || ip addr add "$1" dev "$VETH_ROOT"
  ip link set "$VETH_ROOT" up
  [[ -z ${2:-} ]] || ip -n "$NS" addr add "$2" dev "$VETH_NS"
  ip -n "$NS" link set "$VETH_NS" up
  ip -n "$NS" link set lo up
}
