"""`python -m mockserver.healthcheck`, the command the container image's HEALTHCHECK runs."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from helpers import free_port

pytestmark = pytest.mark.integration


def healthcheck(port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mockserver.healthcheck"],
        env={**os.environ, "DOITONG_MOCK_PORT": str(port)}, capture_output=True, text=True, timeout=30,
    )


def test_healthcheck_passes_against_a_running_server(live_server):
    result = healthcheck(urlsplit(live_server.base_url).port)
    assert result.returncode == 0, result.stderr


def test_healthcheck_fails_when_nothing_listens_and_says_why():
    result = healthcheck(free_port())
    assert result.returncode == 1
    assert "unhealthy" in result.stderr
