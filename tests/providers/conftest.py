"""Fixtures of the provider tests: real servers on 127.0.0.1 and a program directory
(with its sessions closed after each test). Helpers live in `harness.py`."""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import Project  # noqa: E402
from servers import ChatServer, WebServer  # noqa: E402


@pytest.fixture
def project(tmp_path):
    project = Project(tmp_path)
    yield project
    project.close()


@pytest.fixture
def chat_server():
    server = ChatServer()
    yield server
    server.stop()


@pytest.fixture
def web_server():
    server = WebServer()
    yield server
    server.stop()
