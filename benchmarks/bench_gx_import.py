"""Great Expectations' import in a run's process, with and without the deferred modules (not a test).

``python benchmarks/bench_gx_import.py [--rounds 5]``

A run imports GX with its first check (pipeline/quality/gx_runner.py: ``import_gx``), after the
project's definitions (Dagster, DuckDB) are loaded. Each round starts two fresh interpreters,
alternated so a busy moment of the machine hits both: both load ``pipeline.definitions`` first,
then one imports GX as ``import_gx`` does (scipy.stats and altair deferred:
pipeline/quality/deferred_imports.py) and the other imports it plainly. Prints each round's
seconds, the medians, and the modules the plain import loads that the deferred one does not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
import pipeline.definitions
before = set(sys.modules)
t0 = time.perf_counter()
if {deferred}:
    from pipeline.quality.gx_runner import import_gx
    import_gx()
else:
    import great_expectations, great_expectations.expectations
seconds = time.perf_counter() - t0
from pipeline.quality.deferred_imports import is_deferred
print(json.dumps({{"seconds": seconds, "modules": sorted(set(sys.modules) - before),
                  "scipy_stats_loaded": not is_deferred("scipy.stats") and "scipy.stats" in sys.modules}}))
"""


def measure(deferred: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD.format(deferred=deferred)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plain, deferred = [], []
    for i in range(args.rounds):
        results = {d: measure(d) for d in ((False, True) if i % 2 == 0 else (True, False))}   # alternated
        a, b = results[False], results[True]
        plain.append(a)
        deferred.append(b)
        print(f"round {i + 1}: plain {a['seconds']:.2f} s, deferred {b['seconds']:.2f} s", flush=True)
    only_plain = sorted({m.split(".")[0] for m in set(plain[0]["modules"]) - set(deferred[0]["modules"])})
    summary = {
        "plain_s": [round(r["seconds"], 2) for r in plain],
        "deferred_s": [round(r["seconds"], 2) for r in deferred],
        "plain_median_s": round(statistics.median(r["seconds"] for r in plain), 2),
        "deferred_median_s": round(statistics.median(r["seconds"] for r in deferred), 2),
        "modules_plain": len(plain[0]["modules"]),
        "modules_deferred": len(deferred[0]["modules"]),
        "packages_only_plain": only_plain,
        "scipy_stats_loaded_deferred": any(r["scipy_stats_loaded"] for r in deferred),
    }
    print(f"median: plain {summary['plain_median_s']} s ({summary['modules_plain']} modules), deferred "
          f"{summary['deferred_median_s']} s ({summary['modules_deferred']} modules); "
          f"packages only the plain import loads: {', '.join(only_plain)}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
