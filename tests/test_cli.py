from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from mockserver import Settings
from mockserver.cli import build_parser, exposure_warning, settings_from_args
from mockserver.speed import INSTANT


def test_flags_parse_into_settings(tmp_path):
    s = settings_from_args(["--host", "0.0.0.0", "--port", "9000", "--fixtures", str(tmp_path), "--seed", "5", "--speed", "instant", "--clock", "virtual"])
    assert (s.host, s.port, s.fixtures, s.seed, s.speed, s.clock) == ("0.0.0.0", 9000, tmp_path, 5, INSTANT, "virtual")


def test_environment_variables_set_every_option_and_flags_win(monkeypatch, tmp_path):
    monkeypatch.setenv("DOITONG_MOCK_PORT", "9100")
    monkeypatch.setenv("DOITONG_MOCK_SPEED", "10")
    monkeypatch.setenv("DOITONG_MOCK_SEED", "9")
    monkeypatch.setenv("DOITONG_MOCK_HOST", "0.0.0.0")
    monkeypatch.setenv("DOITONG_MOCK_FIXTURES", str(tmp_path))
    monkeypatch.setenv("DOITONG_MOCK_CLOCK", "virtual")
    monkeypatch.setenv("DOITONG_MOCK_PUBLIC_URL", "http://mock:8080/")
    s = settings_from_args([])
    assert (s.port, s.speed, s.seed, s.host, s.fixtures, s.clock, s.public_url) == (9100, 10.0, 9, "0.0.0.0", tmp_path, "virtual", "http://mock:8080")
    assert settings_from_args(["--port", "9200"]).port == 9200


def test_empty_environment_variables_count_as_unset(monkeypatch):
    monkeypatch.setenv("DOITONG_MOCK_SEED", "")
    monkeypatch.setenv("DOITONG_MOCK_ADMIN_TOKEN", "")
    monkeypatch.setenv("DOITONG_MOCK_PORT", "")
    s = settings_from_args([])
    assert (s.seed, s.admin_token, s.port) == (None, None, 8080)


@pytest.mark.parametrize("argv", [["--speed", "warp"], ["--port", "70000"], ["--seed", "x"], ["--clock", "sundial"]])
def test_bad_options_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        settings_from_args(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.integration
def test_a_bad_fixture_stops_start_up_before_listening(tmp_path):
    (tmp_path / "plans.yaml").write_text("plans:\n  free: {name: Free, daily_jobs: lots}\n")
    r = subprocess.run(
        [sys.executable, "-m", "mockserver", "--fixtures", str(tmp_path), "--port", "1"],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 2
    assert f"{tmp_path / 'plans.yaml'}" in r.stderr
    assert "plans.free.daily_jobs" in r.stderr and "valid integer" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.integration
def test_start_up_says_where_it_listens_and_logs_each_request(server_factory):
    server = server_factory("--seed", "1")
    httpx.get(f"{server.base_url}/v1/account", headers={"X-API-Key": "test-pro"})
    log = server.log()
    assert "8 accounts, 4 plans, 6 avatars, 10 voices" in log
    assert f"listening on {server.base_url}" in log
    assert '"GET /v1/account HTTP/1.1" 200' in log


def test_the_usage_line_shows_the_check_command(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    usage = capsys.readouterr().out.split("\n\n", 1)[0]
    assert usage.startswith("usage: doitong-mock [options]")
    assert "doitong-mock check BASE_URL --key KEY" in usage


@pytest.mark.parametrize(("options", "warned"), [
    ({"host": "0.0.0.0"}, "listening on 0.0.0.0 without --admin-token"),
    ({"host": "0.0.0.0", "published_on": "0.0.0.0"}, "published on 0.0.0.0 without --admin-token"),
    ({"host": "0.0.0.0", "published_on": "192.168.1.20"}, "published on 192.168.1.20 without --admin-token"),
    ({"host": "0.0.0.0", "published_on": "127.0.0.1"}, None),  # docker-compose.yml's default
    ({"host": "0.0.0.0", "published_on": "::1"}, None),
    ({"host": "0.0.0.0", "admin_token": "s3cret"}, None),
    ({"host": "127.0.0.1"}, None),
])
def test_the_open_control_api_warning_is_given_only_where_it_is_true(options, warned):
    warning = exposure_warning(Settings(**options))
    assert warning == warned if warned is None else warned in warning


@pytest.mark.integration
def test_a_container_published_on_loopback_starts_without_the_warning(server_factory):
    quiet = server_factory("--no-render", env={"DOITONG_MOCK_HOST": "0.0.0.0", "DOITONG_MOCK_PUBLISHED_ON": "127.0.0.1"})
    assert "listening on http://0.0.0.0:" in quiet.log() and "admin-token" not in quiet.log()
