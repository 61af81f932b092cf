"""`python -m jiedao_bench` (from bench/) or `python -m bench.jiedao_bench` (from the project
root): the same as `bench/run.py`, which `make bench` runs."""

import sys

from .cli import main

sys.exit(main())
