"""Run every benchmark in `bench/` one after another (what `make bench` calls).

    .venv/bin/python bench/run_all.py [--gazetteer PATH] [--only NAME ...] [--skip NAME ...]

Each `bench/bench_*.py` is run in its own process with this Python, one at a time (they measure
speed: two at once would halve each other's numbers), with `--gazetteer` passed to those that take
it. A script that prints for a human to judge (`bench_fakes_sample.py`) is left out unless named
with --only. Output goes straight to the terminal; the summary at the end gives each script's time
and exit status, and the exit status is non-zero when any benchmark failed. Record the numbers you
keep, with their command, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FOR_A_HUMAN = {"bench_fakes_sample"}


def _takes(script: Path, option: str) -> bool:
    """Whether the script's --help lists `option`."""
    out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=ROOT)
    return option in out.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    home = Path(os.environ.get("INCIDENTMAP_HOME", ROOT / ".data"))
    ap.add_argument("--gazetteer", default=str(home / "gazetteer.sqlite"))
    ap.add_argument("--only", nargs="*", default=[], help="run only these (e.g. bench_extract)")
    ap.add_argument("--skip", nargs="*", default=[], help="leave these out")
    args = ap.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    else:
        scripts = [s for s in scripts if s.stem not in FOR_A_HUMAN]
    scripts = [s for s in scripts if s.stem not in args.skip]
    results = []
    for script in scripts:
        cmd = [sys.executable, str(script)]
        if _takes(script, "--gazetteer"):
            cmd += ["--gazetteer", args.gazetteer]
        print(f"\n=== {script.name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, cwd=ROOT).returncode
        results.append((script.name, time.perf_counter() - t0, rc))
    print("\n=== summary")
    for name, seconds, rc in results:
        print(f"{name:28} {seconds:8.1f} s  {'ok' if rc == 0 else f'FAILED (exit {rc})'}")
    return 0 if all(rc == 0 for _, _, rc in results) else 1


if __name__ == "__main__":
    sys.exit(main())
