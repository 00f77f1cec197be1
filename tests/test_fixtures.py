from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from mockserver.core.fixtures import FixtureError, default_fixtures_dir, load_fixtures

from helpers import run_to_exit


def test_defaults_hold_the_contracts_accounts_and_catalogue():
    fx = load_fixtures()
    accounts = {a.key: (a.plan, a.credits) for a in fx.accounts}
    assert accounts["YOUR_API_KEY"] == ("pro", 10000)
    assert accounts["test-free"] == ("free", 1000)
    assert accounts["test-starter"] == ("starter", 5000)
    assert accounts["test-pro"] == ("pro", 50000)
    assert accounts["test-enterprise"] == ("enterprise", 100_000_000)
    assert accounts["test-broke"] == ("free", 50)
    plans = {k: (p.requests_per_minute, p.concurrent_jobs, p.daily_jobs) for k, p in fx.plans.items()}
    assert plans == {"free": (10, 1, 100), "starter": (30, 3, 1000), "pro": (60, 10, 10000), "enterprise": (None, None, None)}
    assert "professional-1" in fx.avatar_by_id and "en-US-neural" in fx.voice_by_id
    assert len(fx.avatar_by_id) >= 5 and len({v.language for v in fx.voices}) >= 5
    assert all(fx.portrait_path(a).is_file() for a in fx.avatars)


def test_a_directory_overrides_file_by_file(tmp_path):
    (tmp_path / "accounts.yaml").write_text(
        "accounts:\n  - {key: mine, plan: starter, credits: 7, webhook_secret: s}\n"
    )
    fx = load_fixtures(tmp_path)
    assert [a.key for a in fx.accounts] == ["mine"]
    assert fx.sources["accounts.yaml"] == tmp_path / "accounts.yaml"
    assert fx.sources["plans.yaml"].parent == default_fixtures_dir()
    assert "starter" in fx.plans


def test_portraits_resolve_relative_to_the_overriding_file(tmp_path):
    (tmp_path / "faces").mkdir()
    shutil.copy(default_fixtures_dir() / "portraits" / "casual-1.png", tmp_path / "faces" / "me.png")
    (tmp_path / "avatars.yaml").write_text("avatars:\n  - {id: me, name: Me, portrait: faces/me.png}\n")
    fx = load_fixtures(tmp_path)
    assert fx.portrait_path(fx.avatar_by_id["me"]) == (tmp_path / "faces" / "me.png").resolve()


@pytest.mark.parametrize(
    ("name", "content", "key", "reason"),
    [
        ("accounts.yaml", "accounts: [\n", "", "not valid YAML at line"),
        ("accounts.yaml", "- just a list\n", "", "must be a mapping"),
        ("accounts.yaml", "accounts:\n  - {key: a, plan: gold, credits: 1, webhook_secret: s}\n", "accounts[0].plan", "unknown plan 'gold'"),
        ("accounts.yaml", "accounts:\n  - {key: a, plan: free, credits: -1, webhook_secret: s}\n", "accounts[0].credits", "greater than or equal to 0"),
        ("accounts.yaml", "accounts:\n  - {key: a, plan: free, credits: 1}\n", "accounts[0].webhook_secret", "required key is missing"),
        ("accounts.yaml", "accounts:\n  - {key: a, plan: free, credits: 1, webhook_secret: s, colour: red}\n", "accounts[0].colour", "unknown key"),
        ("accounts.yaml", "accounts:\n  - {key: a, plan: free, credits: 1, webhook_secret: s}\n  - {key: a, plan: free, credits: 1, webhook_secret: s}\n", "accounts[1].key", "duplicate API key"),
        ("plans.yaml", "plans:\n  free: {name: Free, requests_per_minute: 0}\n", "plans.free.requests_per_minute", "greater than 0"),
        ("pricing.yaml", "words_per_minute: 150\ntiers:\n  - {name: a, up_to_seconds: 60, min_credits: 1, max_credits: 2}\n  - {name: b, up_to_seconds: 30, min_credits: 1, max_credits: 2}\n", "", "increasing up_to_seconds"),
        ("avatars.yaml", "avatars:\n  - {id: x, name: X, portrait: missing.png}\n", "avatars[0].portrait", "not found"),
        ("voices.yaml", "voices:\n  - {id: v, name: V, language: 'English!'}\n", "voices[0].language", "pattern"),
        ("service.yaml", "versions: [a]\ndefault_version: b\naspect_ratios: {'1:1': [1, 1]}\nresolutions: {720p: {short_side: 720}}\ndefault_aspect_ratio: '1:1'\ndefault_resolution: 720p\n", "", "default_version 'b'"),
        ("processing.yaml", "base_seconds: soon\n", "base_seconds", "valid number"),
    ],
)
def test_a_bad_file_names_the_file_the_key_and_the_reason(tmp_path, name, content, key, reason):
    (tmp_path / name).write_text(content)
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    error = info.value
    assert Path(error.file) == tmp_path / name
    assert error.key == key
    assert reason in error.reason


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(FixtureError, match="is not a directory"):
        load_fixtures(tmp_path / "nope")


def test_accounts_without_name_or_email_get_fake_ones_repeatable_with_a_seed(tmp_path):
    from mockserver import Settings, create_app

    (tmp_path / "accounts.yaml").write_text("accounts:\n  - {key: anon, plan: pro, credits: 1, webhook_secret: s}\n")

    def who(seed: int) -> tuple[str, str]:
        account = create_app(Settings(fixtures=tmp_path, seed=seed)).state.runtime.control.account("anon")
        return account.name, account.email

    assert who(9) == who(9)
    assert who(9) != who(10)
    assert "@" in who(9)[1]


# Hostile or careless fixture files: each is refused with the file, the key and the reason.

@pytest.mark.parametrize(
    ("content", "key", "reason"),
    [
        # YAML keeps the last of two equal keys: the operator's first value would silently vanish.
        ("accounts:\n  - {key: a, plan: free, credits: 1, credits: 1000000, webhook_secret: s}\n",
         "accounts[0].credits", "given twice (lines 2 and 2)"),
        ("accounts:\n  - {key: a, plan: free, credits: 1, webhook_secret: s}\naccounts: []\n", "accounts", "given twice (lines 1 and 3)"),
        # Strict types: true is not 1, and text is not a number.
        ("accounts:\n  - {key: a, plan: free, credits: true, webhook_secret: s}\n", "accounts[0].credits", "valid integer"),
        ("accounts:\n  - {key: a, plan: free, credits: '1000', webhook_secret: s}\n", "accounts[0].credits", "valid integer"),
        ("accounts:\n  - {key: a, plan: free, credits: 1, webhook_secret: s, enabled: 'no'}\n", "accounts[0].enabled", "valid boolean"),
        ("accounts:\n  - {key: a, plan: free, credits: 1, webhook_secret: s, name: 2024-01-01}\n", "accounts[0].name", "is a date"),
        # Nesting past the limit is refused before it is built (a RecursionError traceback before).
        ("accounts:\n  - key: " + "[" * 30 + "]" * 30 + "\n", "accounts[0].key" + "[0]" * 17, "nested more than 20 levels"),
        ("accounts: &all [*all]\n", "accounts[0]", "refers to *all, which contains it"),
    ],
)
def test_a_careless_accounts_file_is_refused_with_the_key_and_the_reason(tmp_path, content, key, reason):
    (tmp_path / "accounts.yaml").write_text(content)
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    assert (Path(info.value.file), info.value.key) == (tmp_path / "accounts.yaml", key)
    assert reason in info.value.reason


def test_numbers_that_are_not_finite_are_refused(tmp_path):
    (tmp_path / "processing.yaml").write_text("base_seconds: .inf\n")
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    assert (info.value.key, info.value.reason) == ("base_seconds", "is inf: give a finite number")


def billion_laughs() -> str:
    """Ten levels of ten aliases each: 10^10 values from a few hundred bytes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\naccounts: *a9\n"


def start_up_refuses(tmp_path: Path) -> str:
    """Start the real server on `tmp_path` as fixtures: it must stop before listening, with one line."""
    exited = run_to_exit(["--fixtures", str(tmp_path), "--port", "1", "--no-render"], tmp_path)
    assert exited.returncode == 2, exited.output
    assert "Traceback" not in exited.output, exited.output
    assert exited.peak_rss_mb < 200, exited.peak_rss_mb  # it refused before reading or building it
    line = exited.output.strip().splitlines()[-1]
    assert line.startswith(f"doitong-mock: bad fixture file {tmp_path / 'accounts.yaml'}: key "), line
    return line


@pytest.mark.integration
def test_an_18_mb_accounts_file_is_refused_by_its_size_before_it_is_read(tmp_path):
    account = "  - {key: k%07d, plan: pro, credits: 10000, webhook_secret: whsec_%07d, name: An account of the load test}\n"
    with (tmp_path / "accounts.yaml").open("w") as f:
        f.write("accounts:\n")
        for i in range(18 * 1024 * 1024 // len(account % (0, 0)) + 1):
            f.write(account % (i, i))
    line = start_up_refuses(tmp_path)
    assert "key (top level): is 18.0 MiB: a YAML file here may be at most 1.0 MiB" in line


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["symlink to /dev/zero", "FIFO", "directory"])
def test_an_accounts_file_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path, kind):
    target = tmp_path / "accounts.yaml"
    if kind == "FIFO":
        os.mkfifo(target)  # nobody ever writes: reading it would wait for ever
        reason = "a FIFO"
    elif kind == "directory":
        target.mkdir()
        reason = "a directory"
    else:
        target.symlink_to("/dev/zero")  # reading it would never end
        reason = "a character device"
    line = start_up_refuses(tmp_path)
    assert line.endswith(f"key (top level): is not a regular file ({reason}): give a YAML file"), line


@pytest.mark.integration
def test_a_billion_laughs_accounts_file_is_refused_at_start_up(tmp_path):
    (tmp_path / "accounts.yaml").write_text(billion_laughs())
    line = start_up_refuses(tmp_path)
    assert "key a5[0]: holds more than 200,000 values" in line  # where the file passes the limit


@pytest.mark.integration
def test_deep_nesting_stops_start_up_with_the_key_not_a_traceback(tmp_path):
    (tmp_path / "accounts.yaml").write_text("accounts:\n  - {key: " + "[" * 100_000 + "]" * 100_000 + "}\n")
    line = start_up_refuses(tmp_path)
    assert "key accounts[0]" in line and "is nested more than 20 levels deep" in line


@pytest.mark.integration
@pytest.mark.parametrize(
    ("hostile", "key", "reason"),
    [
        ("fifo", "(top level)", "is not a regular file (a FIFO)"),
        ("accounts:\n  - {key: a, plan: pro, credits: 1, webhook_secret: s, webhook_secret: t}\n", "accounts[0].webhook_secret", "given twice"),
        ("accounts:\n  - key: " + "[" * 5000 + "]" * 5000 + "\n", "accounts[0].key[0]", "nested more than 20"),
        ("laughs", "a5[0]", "holds more than 200,000 values"),
    ],
)
def test_a_reload_of_hostile_files_is_a_400_and_the_mock_goes_on(server_factory, tmp_path, hostile, key, reason):
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    server = server_factory("--fixtures", str(fixtures), "--no-render", "--no-access-log")
    target = fixtures / "accounts.yaml"
    if hostile == "fifo":
        os.mkfifo(target)
    else:
        target.write_text(billion_laughs() if hostile == "laughs" else hostile)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        r = http.post("/_mock/fixtures/reload")
        assert r.status_code == 400, r.text
        error = r.json()["errors"][0]
        assert error["extensions"] == {"code": "FIXTURES_INVALID", "file": str(target), "key": key if key != "(top level)" else ""}
        assert reason in error["message"]
        assert http.get("/v1/account", headers={"X-API-Key": "test-pro"}).status_code == 200
    assert "Traceback" not in server.log()


def test_a_portrait_that_is_too_large_to_decode_is_refused(tmp_path):
    from PIL import Image

    Image.new("L", (6000, 5000)).save(tmp_path / "huge.png")  # 30 KiB on disk, 30 megapixels to decode per job
    (tmp_path / "avatars.yaml").write_text("avatars:\n  - {id: big, name: Big, portrait: huge.png}\n")
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    assert info.value.key == "avatars[0].portrait"
    assert info.value.reason.endswith("huge.png is 6000x5000 pixels: a portrait may be at most 4096 on a side")


def test_a_dangling_symlink_is_an_error_not_a_silent_fall_back_to_the_bundled_file(tmp_path):
    (tmp_path / "accounts.yaml").symlink_to(tmp_path / "moved-away.yaml")  # the file was renamed
    with pytest.raises(FixtureError) as info:
        load_fixtures(tmp_path)
    assert (Path(info.value.file), info.value.key) == (tmp_path / "accounts.yaml", "")
    assert info.value.reason == "cannot be read: No such file or directory"
