"""Training time of the embedded identifier against the number of examples (1k, 10k, 100k).

The examples are synthesised variants of the shipped ones (Bitext mapped + our own): word drops,
swaps, typos and filler phrases, so the vocabulary grows as real traffic's would. Timed is the
whole product training (leave-labels-out threshold search + final fit) and the serialised size.
Floor: 100k examples train within the Celery task time limit (1,800 s) on one core.
Run: python bench/identification_training.py [--sizes 1000,10000,100000]
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios.identification.classifier import fit_identifier  # noqa: E402
from scenarios.identification.embedded import identifier_to_bytes  # noqa: E402
from scenarios.identification.evaluation import read_labelled_csv  # noqa: E402

DATA = ROOT / "scenarios" / "data"
FLOOR_SECONDS_100K = 1800
FILLERS = [
    "hi",
    "hello",
    "please",
    "asap",
    "thanks",
    "hey there",
    "urgent",
    "pls help",
    "good morning",
    "again",
]


def base_rows():
    mapping = dict(
        read_labelled_csv(DATA / "bitext" / "mapping.csv", text_column="intent", label_column="scenario")
    )
    rows = [
        (t, mapping[i])
        for t, i in read_labelled_csv(DATA / "bitext" / "train.csv", label_column="intent")
        if i in mapping
    ]
    return rows + read_labelled_csv(DATA / "own" / "examples.csv", label_column="scenario")


def variant(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(rng.randint(1, 3)):
        move = rng.random()
        if move < 0.3 and len(words) > 3:
            words.pop(rng.randrange(len(words)))
        elif move < 0.5 and len(words) > 2:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        elif move < 0.8:
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        else:
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    return " ".join(words) + (f" {rng.randint(1000, 99999)}" if rng.random() < 0.2 else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    rng = random.Random(3)
    rows = base_rows()
    for size in [int(s) for s in args.sizes.split(",")]:
        sample = [rng.choice(rows) for _ in range(size)]
        texts = [variant(t, rng) for t, _ in sample]
        labels = [label for _, label in sample]
        started = time.perf_counter()
        identifier = fit_identifier(texts, labels)
        seconds = time.perf_counter() - started
        size_mb = len(identifier_to_bytes(identifier)) / 1e6
        floor = (
            f"  (floor {FLOOR_SECONDS_100K} s) {'PASS' if seconds <= FLOOR_SECONDS_100K else 'FAIL'}"
            if size >= 100_000
            else ""
        )
        print(
            f"{size:>7} examples: {seconds:7.1f} s, artifact {size_mb:.1f} MB, "
            f"leave-labels-out balanced acc {identifier.report['cv_balanced_accuracy']}{floor}",
            flush=True,
        )


if __name__ == "__main__":
    main()
