"""The chatbot runtime over real HTTP, next to its floor, on the production server setup.

Server: gunicorn on PostgreSQL + Redis (throttle cache), DEBUG off, access log off, with
DJANGO_SETTINGS_MODULE=bench.settings (the production settings plus the floor's URL), against a
throw-away database (``test_redress_bench``) loaded with ``seed_demo``: the τ²-retail marketplace,
the SOPs, the scenarios with their trained MiniLM identifier, and the seeded flows released and
routed. One API client trusted to assert identity; every conversation is verified as one customer
(many chats at once, as in production: turns and changing calls of one conversation serialise on its
row lock; a plain read only takes its sequence number under it).

- floor:          GET  /bench/floor/<user_id>/ — a plain DRF view, same API-key auth and throttle,
                  one indexed read (bench/urls.py).
- tool call:      POST conversations/<id>/tool-calls/ get_order_details of the customer's own order:
                  schema validation, the policy guard (auth, ownership), the marketplace read and the
                  recorded ToolCall (a plain read: no transaction of its own).
- message, first: POST conversations/<id>/messages/ "What is the status of my order #W…?" in a new
                  conversation: the MiniLM identifier (int8, ~5 ms), routing to order-status, and its flow —
                  get_user_details, the order id slot, get_order_details, the reply, the conversation
                  resolved. Each request uses up a fresh conversation.
- message, next:  the same flow one turn later, without identification: the conversation waits at
                  "which order?" and the message "It is #W…" reads the order and replies.

Load generator: wrk (install it with ``apt-get install wrk``); without it, a small Python one
(threads, http.client keep-alive) that saturates sooner — its figures say which one was used.
Closed loop for the maximum throughput, then paced per connection at half the floor's rate for
the latency target. Every kind runs BENCH_RUNS times, interleaved, so that noise from other jobs
on the machine spreads over all of them; the report gives the median and the range.

Target: each runtime endpoint at least half the floor's requests/s, and p99 under 50 ms at half
the floor's rate.

Also reported, at full load: the CPU time each request costs the gunicorn processes and the
PostgreSQL backends of the benchmark's database (Linux /proc), and the floor's as a share of it —
the capacity each kind uses, which moves less than requests/s when other jobs share the machine.
Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress REDIS_URL=redis://127.0.0.1:6379/0 \
     .venv/bin/python bench/runtime_http.py
Knobs: BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_CONNECTIONS (16), WEB_CONCURRENCY (cores),
GUNICORN_THREADS (1: sync workers; more: the gthread worker class), BENCH_LOADGEN (wrk|python),
BENCH_THROTTLE_RATE (100000000/s; see THROTTLE_RATE).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from identification_harness import ROOT, percentile

FLOOR_SHARE = 0.5
P99_TARGET_MS = 50.0
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
THREADS = int(os.environ.get("GUNICORN_THREADS", "1"))
LOADGEN = os.environ.get("BENCH_LOADGEN") or ("wrk" if shutil.which("wrk") else "python")
# The throttle still runs on every request, with a budget no run reaches. Per second, not per minute:
# DRF's SimpleRateThrottle keeps one timestamp per request of its window in one cache value, read and
# written whole by every request. A per-minute budget at ~300 req/s carried ~15k of them (~135 KB
# pickled, ~0.8 ms CPU a request), far more than the production default (600/min) ever holds.
THROTTLE_RATE = os.environ.get("BENCH_THROTTLE_RATE", "100000000/s")
CONVERSATIONS = 200  # the tool call's conversations (reused: a read changes nothing)
WAITING_TEMPLATES = 100  # customers whose "next message" conversations are cloned
POOL_MARGIN = 1.5  # fresh conversations per expected request
KINDS = ("floor", "tool_call", "message_first", "message_next")
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
TEST_DATABASE = "test_redress_bench"  # not test_redress: other test runs may be using that one


# ------------------------------------------------------------------------------------ data


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECURE_HTTPS", "false")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("this benchmark runs on PostgreSQL: set DATABASE_URL (and REDIS_URL)")
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = TEST_DATABASE
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return connection


class Fixture:
    """The seeded installation and the rows each kind of request is made from."""

    def __init__(self):
        from django.core.management import call_command

        from aftersales.models import ApiClient, Order, Region

        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", stdout=quiet)
        self.region = Region.objects.get(code="US")
        self.client, self.key = ApiClient.objects.create_key(name="bench", may_assert_identity=True)
        self.client.regions.set([self.region])
        # One order per customer (PostgreSQL's DISTINCT ON): each conversation reads its own order.
        orders = Order.objects.filter(customer__region=self.region).order_by("customer_id", "position")
        self.orders = list(orders.distinct("customer_id").values_list("customer_id", "order_id"))
        self.verified = [self._open(customer) for customer, _ in self.orders[:CONVERSATIONS]]
        self.waiting = [self._wait_for_order(customer) for customer, _ in self.orders[:WAITING_TEMPLATES]]

    def _open(self, customer_id):
        from scenarios.services.conversations import conversation_open

        return conversation_open(
            actor=self.client, region=self.region, channel="chat", customer_id=customer_id
        )

    def _wait_for_order(self, customer_id):
        """A conversation whose order-status flow waits at "which order?" (the first turn, run once)."""
        from scenarios.services.flows import conversation_message

        conversation = self._open(customer_id)
        result = conversation_message(
            conversation=conversation, text="Can you tell me the status of my order?"
        )
        assert result.scenario == "order-status" and result.state["step"] == "ask_order", result
        conversation.refresh_from_db()
        return conversation

    def rows(self, kind: str, count: int) -> list[tuple[str, str, str]]:
        """(method, path, body) per request; the message kinds get ``count`` fresh conversations."""
        if kind == "floor":
            return [("GET", f"/bench/floor/{customer}/", "") for customer, _ in self.orders]
        if kind == "tool_call":
            owned = dict(self.orders)
            body = {"name": "get_order_details", "arguments": {}}
            return [
                (
                    "POST",
                    f"/api/v1/conversations/{c.pk}/tool-calls/",
                    json.dumps({**body, "arguments": {"order_id": owned[c.customer_id]}}),
                )
                for c in self.verified
            ]
        owned = dict(self.orders)
        if kind == "message_first":
            templates = [self._fresh_template(customer) for customer, _ in self.orders]
            text = "What is the status of my order {}?"
        else:
            templates, text = self.waiting, "It is {}"
        conversations = self._clone(templates, count)
        return [
            (
                "POST",
                f"/api/v1/conversations/{c.pk}/messages/",
                json.dumps({"text": text.format(owned[c.customer_id])}),
            )
            for c in conversations
        ]

    def _fresh_template(self, customer_id):
        from scenarios.models import Conversation

        return Conversation(
            region=self.region, channel="chat", api_client=self.client, customer_id=customer_id
        )

    @staticmethod
    def _clone(templates, count: int):
        """``count`` conversations copied from ``templates`` in turn (the same customer, scenario and
        flow state): a message ends its conversation, so each request needs its own."""
        from scenarios.models import Conversation

        fields = ("region_id", "channel", "api_client_id", "customer_id", "scenario_version_id", "state")
        clones = [
            Conversation(
                **{f: getattr(templates[i % len(templates)], f) for f in fields},
                verified_via=Conversation.VerifiedVia.ASSERTED,
            )
            for i in range(count)
        ]
        return Conversation.objects.bulk_create(clones, batch_size=1000)


# ---------------------------------------------------------------------------- load generators


def _lua(work: Path, name: str, rows, key: str, delay_ms: float | None, consume: bool) -> Path:
    """A wrk script over ``rows``: at random, or each row once (a fresh conversation per request)."""
    data = work / f"{name}.rows.lua"
    data.write_text(
        "rows = {\n" + ",\n".join("{" + ", ".join(json.dumps(v) for v in row) + "}" for row in rows) + "\n}\n"
    )
    headers = f'{{["Authorization"] = "Api-Key {key}", ["Content-Type"] = "application/json"}}'
    pick = "rows[(i % #rows) + 1]; i = i + 2" if consume else "rows[math.random(#rows)]"
    pacing = f"function delay() return {delay_ms:.3f} end\n" if delay_ms else ""
    script = work / f"{name}.lua"
    script.write_text(
        f'dofile("{data}")\n'
        "local thread_id = 0\n"
        'function setup(thread) thread:set("offset", thread_id); thread_id = thread_id + 1 end\n'
        "function init(args) i = offset or 0; math.randomseed(os.time() + i) end\n"
        "function request()\n"
        f"  local r = {pick}\n"
        f'  if r[3] == "" then return wrk.format(r[1], r[2], {headers}) end\n'
        f"  return wrk.format(r[1], r[2], {headers}, r[3])\nend\n{pacing}"
    )
    return script


def _wrk(base_url: str, script: Path) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", str(script), base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(quantile: str) -> float:
        value, unit = re.search(rf"^\s+{quantile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS_MS[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": requests,
        "p50": latency("50"),
        "p99": latency("99"),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(0) if errors else "",
    }


def _python_load(port: int, rows, key: str, delay_ms: float | None, consume: bool) -> dict:
    """The fallback: CONNECTIONS threads, each a keep-alive connection, closed loop or paced."""
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + SECONDS
    latencies: list[float] = []
    failures = [0]
    cursor = iter(range(10**9))
    lock = threading.Lock()

    def worker(offset: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                n = next(cursor)
            method, path, body = rows[n % len(rows)] if consume else rows[(n * 7919 + offset) % len(rows)]
            started = time.perf_counter()
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                failures[0] += response.status >= 300
            if delay_ms:
                time.sleep(delay_ms / 1000)
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "non_2xx": failures[0],
        "errors": "",
    }


# -------------------------------------------------------------------------------- CPU time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc counts CPU time in these


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc; 0 for a process gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _cpu_snapshot(server: subprocess.Popen, connection) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the processes a request costs: the gunicorn master and workers, and
    the PostgreSQL backends connected to the benchmark's database (the workers' connections; not
    this process's own, which is idle during a run)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return {
        "server": {pid: _cpu_seconds(pid) for pid in [server.pid, *workers]},
        "database": {pid: _cpu_seconds(pid) for pid in backends},
    }


def _cpu_ms_per_request(before: dict, after: dict, requests: float) -> dict[str, float]:
    """CPU milliseconds per request by group, over the processes seen before or after the run (a
    process started during the run counts from zero; one gone keeps what it had used before)."""
    spent = {}
    for group in before:
        pids = set(before[group]) | set(after[group])
        used = sum(
            after[group].get(pid, before[group].get(pid, 0.0)) - before[group].get(pid, 0.0) for pid in pids
        )
        spent[group] = round(used * 1000 / max(requests, 1), 3)
    return spent


# ---------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(settings_dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def _serve(database_url: str, port: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "SECURE_HTTPS": "false",
        "DEBUG": "false",
        "API_THROTTLE_RATE": THROTTLE_RATE,
        "LOG_LEVEL": "WARNING",
    }
    workers = ["--workers", str(WORKERS)]
    if THREADS > 1:
        workers += ["--worker-class", "gthread", "--threads", str(THREADS)]
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "config/gunicorn.conf.py",  # the Procfile's: each worker warms the encoder before serving
            "--bind",
            f"127.0.0.1:{port}",
            *workers,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/", timeout=1)
        except urllib.error.HTTPError:
            return server  # 401 without a key: the server is up
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


# ------------------------------------------------------------------------------------ main


def main():
    if LOADGEN == "wrk" and not shutil.which("wrk"):
        sys.exit("BENCH_LOADGEN=wrk but wrk is not installed: apt-get install wrk")
    if LOADGEN != "wrk":
        print("wrk not found (apt-get install wrk): using the Python load generator, which saturates sooner")
    connection = _django()
    work = Path(tempfile.mkdtemp(prefix="redress-bench-"))
    server = None
    try:
        fixture = Fixture()
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"

        def measure(kind: str, label: str, delay_ms: float | None, expected_rps: float) -> dict:
            consume = kind.startswith("message")
            rows = fixture.rows(kind, int(expected_rps * SECONDS * POOL_MARGIN) + 200)
            before = _cpu_snapshot(server, connection)
            if LOADGEN == "wrk":
                result = _wrk(base_url, _lua(work, label, rows, fixture.key, delay_ms, consume))
            else:
                result = _python_load(port, rows, fixture.key, delay_ms, consume)
            result["cpu_ms"] = _cpu_ms_per_request(
                before, _cpu_snapshot(server, connection), result["requests"]
            )
            return result

        results: dict[str, list[dict]] = {}
        with open(work / "server.log", "wb") as log:
            server = _serve(_database_url(connection.settings_dict), port, log)
            ceiling = measure("floor", "warm-floor", None, 0)["rps"]  # warm-up, and the pool size bound
            for kind in KINDS[1:]:
                measure(kind, f"warm-{kind}", None, ceiling)
            for run in range(RUNS):
                for kind in KINDS:
                    results.setdefault(kind, []).append(measure(kind, f"{kind}-{run}", None, ceiling))
            half_rate = statistics.median(r["rps"] for r in results["floor"]) * FLOOR_SHARE
            delay_ms = CONNECTIONS / half_rate * 1000
            for run in range(RUNS):
                for kind in KINDS:
                    paced = measure(kind, f"{kind}-paced-{run}", delay_ms, half_rate)
                    results.setdefault(f"{kind}@half", []).append(paced)
        _report(results, half_rate)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.creation.destroy_test_db(TEST_DATABASE, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)


def _report(results: dict[str, list[dict]], half_rate: float) -> None:
    server = f"{WORKERS} gthread workers x {THREADS} threads" if THREADS > 1 else f"{WORKERS} sync workers"
    print(
        f"gunicorn {server}; {LOADGEN}, {CONNECTIONS} connections, {SECONDS} s per run, {RUNS} runs "
        "(median [min-max])"
    )

    def spread(values: list[float], unit: str) -> str:
        return f"{statistics.median(values):7.1f} {unit} [{min(values):.1f}-{max(values):.1f}]"

    for name, runs in results.items():
        failures = sum(r["non_2xx"] for r in runs)
        print(
            f"{name:<20} {spread([r['rps'] for r in runs], 'req/s')}  "
            f"p50 {spread([r['p50'] for r in runs], 'ms')}  p99 {spread([r['p99'] for r in runs], 'ms')}"
            + (f"  non-2xx {failures}" if failures else "")
            + "".join(f"  {r['errors']}" for r in runs if r["errors"])
        )
    # CPU per request at full load, the capacity each kind uses: steadier than requests/s on a
    # machine shared with other jobs (those slow every process alike, but do not run in these).
    cpu = {
        kind: {
            group: statistics.median(r["cpu_ms"][group] for r in results[kind])
            for group in ("server", "database")
        }
        for kind in KINDS
    }
    for kind in KINDS:
        total = sum(cpu[kind].values())
        print(
            f"{kind:<14} CPU per request {total:5.2f} ms (gunicorn {cpu[kind]['server']:.2f}, PostgreSQL "
            f"{cpu[kind]['database']:.2f}); the floor's is {sum(cpu['floor'].values()) / total:4.0%} of it"
        )
    floor = statistics.median(r["rps"] for r in results["floor"])
    for kind in KINDS[1:]:
        share = statistics.median(r["rps"] for r in results[kind]) / floor
        p99 = statistics.median(r["p99"] for r in results[f"{kind}@half"])
        print(
            f"{kind:<14} throughput {share:4.0%} of the floor (target ≥ {FLOOR_SHARE:.0%}): "
            f"{'PASS' if share >= FLOOR_SHARE else 'FAIL'};  p99 at {half_rate:.0f} req/s offered = "
            f"{p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms): {'PASS' if p99 < P99_TARGET_MS else 'FAIL'}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
