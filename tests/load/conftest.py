"""tests/load holds the load test and the fault drills (make loadtest, make drills): scripts
that start servers against PostgreSQL, never tests of the suite."""

collect_ignore_glob = ["*.py"]
