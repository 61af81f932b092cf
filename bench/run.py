"""Jiedao benchmarks: `make bench` (full, ~30 min) or `make bench BENCH_ARGS=--quick` (< 3 min).

The entry point only; the benchmarks are the package bench/jiedao_bench/ (one module per concern,
see its __init__.py and bench/README.md). Also the load generator's command (--loadgen).
"""

import sys

from jiedao_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
