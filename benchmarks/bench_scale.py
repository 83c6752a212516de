#!/usr/bin/env python
"""How one run's time and memory grow with the councils, at default settings.

    python benchmarks/bench_scale.py [--sizes 2500 5000 10000 20000]

Each size runs in a fresh process: the baseline scenario with ``scheme.n_authorities`` councils and
everything else at its default, so the central team's fixed negotiation capacity stretches the
scheme over more quarters as councils are added (282 quarters at 5,000 councils, 1,032 at 20,000).
Prints, side by side, the quarters, build / run / summary seconds, the process's peak memory (as
the issue measured it: numba and the libraries included) and the run's own part of it (peak minus
the memory before the model was built), with each size's ratio to the first. Targets (issue 23):
peak memory at 20,000 councils at most 4.5x that at 5,000; 10,000 councils in under 20 s.
Figures only: no test times anything.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from lpsa.experiments.arguments import without_huge_pages
without_huge_pages()
from lpsa.model import LPSAModel
LPSAModel(scheme__n_authorities=20, seed=0).run().summary()  # numba's cache loaded first
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
m = LPSAModel(scheme__n_authorities={n}, seed=1)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
m.summary()
t3 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(quarters=m.n_quarters, build=t1 - t0, run=t2 - t1, summary=t3 - t2,
                      before=before, peak=peak)))
"""


def one_run(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN.format(root=str(ROOT), n=n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10_000, 20_000])
    args = p.parse_args()
    rows = {n: one_run(n) for n in args.sizes}
    first = rows[args.sizes[0]]
    print(
        f"{'councils':>9} {'quarters':>8} {'build s':>8} {'run s':>7} {'summary s':>9} "
        f"{'peak MB':>8} {'x first':>7} {'run MB':>7} {'x first':>7}"
    )
    for n, r in rows.items():
        own, own_first = r["peak"] - r["before"], first["peak"] - first["before"]
        print(
            f"{n:>9,} {r['quarters']:>8} {r['build']:>8.2f} {r['run']:>7.2f} {r['summary']:>9.2f} "
            f"{r['peak']:>8.0f} {r['peak'] / first['peak']:>7.2f} {own:>7.0f} "
            f"{own / own_first:>7.2f}"
        )
    if 5000 in rows and 20_000 in rows:
        ratio = rows[20_000]["peak"] / rows[5000]["peak"]
        verdict = "met" if ratio <= 4.5 else "not met"
        print(f"peak memory, 20,000 / 5,000 councils: {ratio:.2f}x (at most 4.5x: {verdict})")
    if 10_000 in rows:
        r = rows[10_000]
        total = r["build"] + r["run"] + r["summary"]
        verdict = "met" if total < 20 else "not met"
        print(f"10,000 councils, build + run + summary: {total:.1f} s (under 20 s: {verdict})")


if __name__ == "__main__":
    main()
