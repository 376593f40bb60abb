"""The benchmark server's settings: the production settings with the bench-only URLconf, so that
the floor endpoint exists only in a server started with DJANGO_SETTINGS_MODULE=bench.settings."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
