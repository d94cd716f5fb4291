# tests/stress/: the reliability module's stress suite (make check-stress).
