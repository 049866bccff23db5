"""python -m bench COMMAND [options]: run one benchmark and record it in BENCHMARKS.md."""

import importlib
import sys

COMMANDS = {"quality": "bench.quality", "speed": "bench.speed", "browser": "bench.browser", "server": "bench.server"}

if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    sys.exit(f"usage: python -m bench {{{','.join(COMMANDS)}}} [options]")
importlib.import_module(COMMANDS[sys.argv[1]]).main(sys.argv[2:])
