#!/bin/sh
# tests/integration/stress_cow.sh: stress_short.sh with every snapshot forked
# (heapsnap --cow): 12 snapshots of the 4-thread stress program over the
# three modes, a quiescent mallinfo2 check every 2nd, and every snapshot
# must have forked a frozen child.
STRESS_SNAPSHOTS=${STRESS_SHORT_SNAPSHOTS:-12}
STRESS_QUIESCENT_EVERY=2
STRESS_HEAPSNAP_ARGS=--cow
export STRESS_SNAPSHOTS STRESS_QUIESCENT_EVERY STRESS_HEAPSNAP_ARGS
exec sh "$top_srcdir/tests/stress/stress.sh"
