"""Embedded evidence judge latency per case (the pure judge over the shipped evidence set).

Floor: p99 ≤ 1 ms per case (it is a handful of comparisons; the API's cost is the database).
Run: python bench/evidence_latency.py
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from identification_harness import percentile  # noqa: E402

from scenarios.evidence.evaluation import load_cases, run_case  # noqa: E402

FLOOR_P99_MS = 1.0
ROUNDS = 50


def main():
    cases = load_cases()
    timings = []
    for _ in range(ROUNDS):
        for case in cases:
            started = time.perf_counter()
            run_case(case)
            timings.append((time.perf_counter() - started) * 1000)
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    print(
        f"embedded judge over {len(timings)} judgments: p50 {p50:.3f} ms  p99 {p99:.3f} ms"
        f"  (floor p99 ≤ {FLOOR_P99_MS} ms) {'PASS' if p99 <= FLOOR_P99_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
