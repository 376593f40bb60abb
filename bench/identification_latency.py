"""Identification latency per message: in-process (the fitted model) and through POST /api/v1/identify/.

Floor: single-message latency in milliseconds — p99 ≤ 20 ms in-process, ≤ 100 ms through the API
(authentication, region check, model lookup, JSON). Uses a throw-away test database with the demo
scenarios and examples; trains one model first. Run: python bench/identification_latency.py
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from identification_harness import django_with_test_db, percentile

FLOOR_IN_PROCESS_P99_MS = 20.0
FLOOR_API_P99_MS = 100.0
N = 1000


def main():
    connection = django_with_test_db()
    try:
        from rest_framework.test import APIClient

        from aftersales.models import ApiClient, Region
        from scenarios.demo import DATA, scenarios_seed_demo
        from scenarios.identification.evaluation import read_labelled_csv
        from scenarios.selectors import embedded_identifier

        region = Region.objects.create(code="US", name="US", currency="USD", time_zone="UTC", language="en")
        scenarios_seed_demo(actor=None)
        model, identifier = embedded_identifier()
        texts = [t for t, _ in read_labelled_csv(DATA / "eval" / "handwritten_test.csv")]
        rng = random.Random(7)
        messages = [rng.choice(texts) for _ in range(N)]
        identifier.predict(messages[:10])  # warm-up
        timings = []
        for text in messages:
            started = time.perf_counter()
            identifier.predict([text])
            timings.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        embedding = getattr(identifier.core.settings, "embedding", None)
        print(
            f"model {model.name}: {model.n_examples} examples, {len(model.labels)} scenarios,"
            f" encoder {embedding}"
        )
        print(
            f"in-process  p50 {p50:.2f} ms  p99 {p99:.2f} ms  (floor p99 ≤ {FLOOR_IN_PROCESS_P99_MS} ms)"
            f"  {'PASS' if p99 <= FLOOR_IN_PROCESS_P99_MS else 'FAIL'}"
        )
        if embedding is not None:
            # The sentence encoder alone, same messages: how much of a message it costs.
            from scenarios.identification.encoder import encode

            timings = []
            for text in messages:
                started = time.perf_counter()
                encode([text], embedding)
                timings.append((time.perf_counter() - started) * 1000)
            print(f"encoder     p50 {percentile(timings, 50):.2f} ms  p99 {percentile(timings, 99):.2f} ms")

        client, key = ApiClient.objects.create_key(name="bench")
        client.regions.set([region])
        api = APIClient()
        auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
        api.post("/api/v1/identify/", {"text": "hello", "region": "US"}, format="json", **auth)
        timings = []
        for text in messages[:300]:
            started = time.perf_counter()
            response = api.post("/api/v1/identify/", {"text": text, "region": "US"}, format="json", **auth)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        print(
            f"through API p50 {p50:.2f} ms  p99 {p99:.2f} ms  (floor p99 ≤ {FLOOR_API_P99_MS} ms)"
            f"  {'PASS' if p99 <= FLOOR_API_P99_MS else 'FAIL'}"
        )
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
