"""One tool call through the gateway over real HTTP, next to its floor, on the production server setup.

Server: gunicorn (sync workers, as in the Procfile) on PostgreSQL, DEBUG off, access log off, against a
throw-away copy of the database seeded with the shipped τ²-retail marketplace in US, one API client and
CONVERSATIONS open conversations, each verified as one customer (many chats at once, as in production:
calls of one conversation serialise on its row lock by design).

Load generator: wrk (`apt-get install wrk`), closed loop for the maximum throughput, then paced per
connection (Lua ``delay``) at half the floor's rate for the latency target.

- floor:     GET  /bench/floor/<user_id>/ — a plain DRF view with the same API-key auth doing one
             indexed read (a customer by primary key); mounted only in this benchmark's server.
- tool call: POST /api/v1/conversations/<id>/tool-calls/ get_order_details of the customer's own order:
             API-key auth, region scope, schema validation, the policy guard (auth, ownership), the
             marketplace read and the recorded ToolCall row (insert + update) in one transaction.

Target: the tool call at least half the floor's requests/s, and p99 under 50 ms at half the floor's rate.
Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress REDIS_URL=redis://127.0.0.1:6379/0 \
     .venv/bin/python bench/runtime_http.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from identification_harness import ROOT, django_with_test_db

FLOOR_SHARE = 0.5
P99_TARGET_MS = 50.0
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
CONVERSATIONS = 200
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wsgi_app():
    """The gunicorn application factory: the project's WSGI app with the floor endpoint mounted."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.urls import path
    from rest_framework.response import Response

    from aftersales.models import Customer
    from config import urls
    from config.api.base import ApiView

    class FloorView(ApiView):
        def get(self, request, user_id):
            found = Customer.objects.filter(pk=user_id).values_list("user_id", flat=True).first()
            return Response({"user_id": found})

    urls.urlpatterns.insert(0, path("bench/floor/<str:user_id>/", FloorView.as_view()))
    return get_wsgi_application()


def _seed(rows_path: Path) -> str:
    """The marketplace, a client and verified conversations; writes the Lua rows; returns the key."""
    from aftersales.marketplace.io import SHIPPED_DB_JSON, marketplace_load
    from aftersales.models import ApiClient, Order, Region
    from scenarios.services.conversations import conversation_open

    region = Region.objects.create(code="US", name="US", currency="USD", time_zone="UTC", language="en")
    marketplace_load(path_or_data=SHIPPED_DB_JSON, region_codes=["US"])
    client, key = ApiClient.objects.create_key(name="bench", may_assert_identity=True)
    client.regions.set([region])
    rows = []
    # One order per customer (PostgreSQL's DISTINCT ON): each conversation reads its customer's own order.
    for order in Order.objects.order_by("customer_id", "position").distinct("customer_id")[:CONVERSATIONS]:
        conversation = conversation_open(
            actor=client, region=region, channel="chat", customer_id=order.customer_id
        )
        rows.append(f'{{"{conversation.pk}", "{order.order_id}", "{order.customer_id}"}}')
    rows_path.write_text("rows = {\n" + ",\n".join(rows) + "\n}\n")
    return key


def _lua(path: Path, rows_path: Path, key: str, kind: str, delay_ms: float | None) -> Path:
    headers = f'{{["Authorization"] = "Api-Key {key}", ["Content-Type"] = "application/json"}}'
    if kind == "floor":
        make = f'wrk.format("GET", "/bench/floor/" .. r[3] .. "/", {headers})'
    else:
        body = '\'{"name": "get_order_details", "arguments": {"order_id": "\' .. r[2] .. \'"}}\''
        make = f'wrk.format("POST", "/api/v1/conversations/" .. r[1] .. "/tool-calls/", {headers}, {body})'
    pacing = f"function delay() return {delay_ms:.3f} end\n" if delay_ms else ""
    path.write_text(
        f'dofile("{rows_path}")\n'
        "math.randomseed(os.time())\n"
        f"function request()\n  local r = rows[math.random(#rows)]\n  return {make}\nend\n{pacing}"
    )
    return path


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
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


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
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "SECURE_HTTPS": "false",
        "DEBUG": "false",
        "API_THROTTLE_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--chdir",
            str(ROOT / "bench"),
            "runtime_http:wsgi_app()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/", timeout=1)
        except urllib.error.HTTPError:
            return server  # 401 without a key: the server is up
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    connection = django_with_test_db()
    if connection.vendor != "postgresql":
        sys.exit("this benchmark runs on PostgreSQL: set DATABASE_URL")
    work = Path(tempfile.mkdtemp(prefix="redress-bench-"))
    server = None
    try:
        rows_path = work / "rows.lua"
        key = _seed(rows_path)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with open(work / "server.log", "wb") as log:
            server = _serve(_database_url(connection.settings_dict), port, log)
            results = {}
            for kind in ("floor", "tool_call"):
                _wrk(base_url, _lua(work / f"{kind}-warm.lua", rows_path, key, kind, None))  # warm-up
                results[kind] = _wrk(base_url, _lua(work / f"{kind}.lua", rows_path, key, kind, None))
            half_rate = results["floor"]["rps"] * FLOOR_SHARE
            delay_ms = CONNECTIONS / half_rate * 1000
            for kind in ("floor", "tool_call"):
                paced = _wrk(base_url, _lua(work / f"{kind}-paced.lua", rows_path, key, kind, delay_ms))
                results[f"{kind}_at_half_floor_rate"] = paced
        _report(results, half_rate)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        shutil.rmtree(work, ignore_errors=True)


def _report(results: dict, half_rate: float) -> None:
    print(f"gunicorn {WORKERS} sync workers, wrk 2 threads, {CONNECTIONS} connections, {SECONDS} s per run")
    for name, r in results.items():
        print(
            f"{name:<28} {r['rps']:8.1f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms"
            f"  non-2xx {r['non_2xx']} {r['socket_errors']}"
        )
    share = results["tool_call"]["rps"] / results["floor"]["rps"]
    p99 = results["tool_call_at_half_floor_rate"]["p99"]
    print(
        f"tool call throughput = {share:.0%} of the floor (target ≥ {FLOOR_SHARE:.0%}): "
        f"{'PASS' if share >= FLOOR_SHARE else 'FAIL'}"
    )
    print(
        f"tool call p99 at half the floor's rate ({half_rate:.0f} req/s) = {p99:.1f} ms "
        f"(target < {P99_TARGET_MS:.0f} ms): {'PASS' if p99 < P99_TARGET_MS else 'FAIL'}"
    )
    print(json.dumps({k: {m: v for m, v in r.items() if m != "socket_errors"} for k, r in results.items()}))


if __name__ == "__main__":
    main()
