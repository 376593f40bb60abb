"""Slot extraction latency per kind, in-process, on realistic messages against real τ²-retail orders.

Floor: a bare compiled-regex search over the same message (what the cheapest possible extractor
costs). Target: every kind's p99 well under 2 ms — extraction runs on every turn of a flow.
Pure Python, no database. Run: python bench/slots_latency.py
"""

import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scenarios.engine.slots import SlotContext, extract  # noqa: E402

TARGET_P99_MS = 2.0
N = 10000
WARM_UP = 500  # regex compilation and the word caches fill on first use
MESSAGES = {
    "order_id": ["my order number is #w2611340", "it's order 2378156", "W9609649 please", "I don't remember"],
    "email": ["my email is Mia.Garcia2723@Example.com", "it's yusuf.rossi7301@example.com.", "no idea"],
    "name_zip": [
        "I'm Yusuf Rossi, zip 19122",
        "my name is mei davis and my zip is 80217",
        "Yusuf Rossi 19122",
    ],
    "items": [
        "I want to return the {a} and the {b}",
        "the {a} please",
        "everything except the {a}",
        "all items",
        "the blue one",
        "the {a}, the more expensive one",
    ],
    "yes_no": ["yes please", "Nope, I changed my mind", "ok wait", "can you confirm the amount first?"],
    "cancel_reason": ["I don't need it anymore", "bought it by accident", "it is too expensive"],
    "payment_method": ["the original payment method", "my gift card", "paypal please", "my visa ending 8902"],
    "address": [
        "445 Maple Drive, Suite 394, Fort Worth, Texas, 76165",
        "please send it to 986 Sunset Drive Suite 259 Denver CO 80279",
        "101 Highway, New York, 10001",
    ],
    "text": ["  The box was crushed and the bottle leaks.  "],
}
FLOOR = re.compile(r"#?w?(\d{7})", re.I)


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main():
    data = json.loads((ROOT / "aftersales" / "data" / "tau2-retail" / "db.json").read_text())
    rng = random.Random(7)
    orders = [order for order in data["orders"].values() if len(order["items"]) >= 2]
    cases = []
    for _ in range(N):
        order = rng.choice(orders)
        a, b = rng.sample(order["items"], 2)
        context = SlotContext(order=order, customer=data["users"][order["user_id"]])
        kind = rng.choice(sorted(MESSAGES))
        text = rng.choice(MESSAGES[kind]).format(a=a["name"].lower(), b=b["name"].lower())
        cases.append((kind, text, context))
    for kind, text, context in cases[:WARM_UP]:
        extract(kind, text, context=context)

    floor = [_timed(lambda text=text: FLOOR.search(text)) for _, text, _ in cases]
    # Each message is timed on its first pass (raw: includes whatever the machine does meanwhile)
    # and as the best of three passes: on a shared two-core machine a call is sometimes preempted
    # for a whole 4 ms scheduler tick, which says nothing about the extractor.
    raw: dict[str, list[float]] = {}
    best: dict[str, list[float]] = {}
    for kind, text, context in cases:
        runs = [
            _timed(lambda kind=kind, text=text, context=context: extract(kind, text, context=context))
            for _ in range(3)
        ]
        raw.setdefault(kind, []).append(runs[0])
        best.setdefault(kind, []).append(min(runs))

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus; {N} messages, {WARM_UP} warm-up")
    floor_p50 = percentile(floor, 50)
    print(f"floor (one compiled regex search)    p50 {floor_p50:.4f} ms  p99 {percentile(floor, 99):.4f} ms")
    failed = False
    for kind in sorted(best):
        p50, p99 = percentile(best[kind], 50), percentile(best[kind], 99)
        raw_p99 = percentile(raw[kind], 99)
        ok = p99 <= TARGET_P99_MS
        failed |= not ok
        print(
            f"{kind:<15} n={len(best[kind]):<5} p50 {p50:.4f} ms  p99 {p99:.4f} ms  "
            f"(raw p99 {raw_p99:.4f} ms; "
            f"x{p50 / max(floor_p50, 1e-9):.0f} floor p50; target p99 <= {TARGET_P99_MS} ms)  "
            f"{'PASS' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
