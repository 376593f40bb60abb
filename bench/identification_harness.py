"""Shared by the benchmarks: Django on a throw-away test database (never the real one)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_test_db():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECURE_HTTPS", "false")
    # Per second: a per-minute budget makes DRF's throttle history (read and written whole by every
    # request) grow with the run (docs/performance.md, "How it is measured").
    os.environ.setdefault("API_THROTTLE_RATE", "1000000/s")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return connection


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
