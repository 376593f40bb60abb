import pytest


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with empty per-process caches keyed by primary key: a rolled-back test
    gives its primary keys back on SQLite, and the next test's version 1 is another version."""
    from scenarios.flows.selectors import _version_left_draft

    _version_left_draft.cache_clear()
    yield
    _version_left_draft.cache_clear()


@pytest.fixture
def regions(db):
    from aftersales.models import Region

    specs = [
        ("US", "United States", "USD", "America/New_York", "en-US"),
        ("GB", "United Kingdom", "GBP", "Europe/London", "en-GB"),
        ("ID", "Indonesia", "IDR", "Asia/Jakarta", "id-ID"),
    ]
    return {
        code: Region.objects.create(code=code, name=name, currency=cur, time_zone=tz, language=lang)
        for code, name, cur, tz, lang in specs
    }


def _database_url_of(settings_dict) -> str:
    from urllib.parse import quote

    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real `celery worker` process consuming the configured broker (Redis in CI, the filesystem
    transport on the embedded default) against the test database. Use with transactional tests:
    the worker only sees committed rows."""
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    from config.celery import app

    app.control.purge()  # stale messages of an earlier, killed run must not reach this worker
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of(connection.settings_dict),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "SECURE_HTTPS": "false",
        "LOG_JSON": "false",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-worker-{os.getpid()}@%h",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def plain_static_storage(settings):
    """Admin pages render {% static %}; the manifest storage would need `collectstatic` first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
