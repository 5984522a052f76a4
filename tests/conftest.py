"""Shared test setup: plain, colourless output and the repository's paths."""

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NO_COLOR", "1")
# The compiled-program cache of the test run lives in a directory of its own.
os.environ["LUMEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="lumen-test-cache-")


@pytest.fixture
def root() -> Path:
    return ROOT
