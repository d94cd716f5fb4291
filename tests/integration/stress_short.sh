#!/bin/sh
# tests/integration/stress_short.sh: the stress suite (tests/stress/stress.sh)
# in a short version for `make check`: 12 snapshots over the three modes (hook
# at rate 1, default rate, no hook), a quiescent mallinfo2 check every 2nd.
# `make check-stress` runs 1000 (STRESS_SNAPSHOTS).
STRESS_SNAPSHOTS=${STRESS_SHORT_SNAPSHOTS:-12}
STRESS_QUIESCENT_EVERY=2
export STRESS_SNAPSHOTS STRESS_QUIESCENT_EVERY
exec sh "$top_srcdir/tests/stress/stress.sh"
