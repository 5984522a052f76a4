"""Shared test setup: plain, colourless output and the repository's paths."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NO_COLOR", "1")


@pytest.fixture
def root() -> Path:
    return ROOT
