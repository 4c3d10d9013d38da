"""Test settings: the same module, with jobs run at once and a scratch var/ folder."""

import os
import tempfile

os.environ.setdefault("LYCEUM_ENV", "test")
os.environ.setdefault("LYCEUM_VAR_DIR", tempfile.mkdtemp(prefix="lyceum-test-"))
os.environ.setdefault("LYCEUM_JOBS_IMMEDIATE", "true")

from config.settings import *  # noqa: F403

DEBUG = False

if not REDIS_URL:  # noqa: F405
    # Each test empties the cache (conftest.py); in memory that needs no database.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: WAL and IMMEDIATE transactions behave as in production
    # (concurrent writers wait their turn instead of failing with "table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
