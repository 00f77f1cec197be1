from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mockserver.core.fixtures import FixtureError, default_fixtures_dir, load_fixtures


def test_defaults_hold_the_contracts_accounts_and_catalogue():
    fx = load_fixtures()
    accounts = {a.key: (a.plan, a.credits) for a in fx.accounts.accounts}
    assert accounts["YOUR_API_KEY"] == ("pro", 10000)
    assert accounts["test-free"] == ("free", 1000)
    assert accounts["test-starter"] == ("starter", 5000)
    assert accounts["test-pro"] == ("pro", 50000)
    assert accounts["test-enterprise"] == ("enterprise", 100_000_000)
    assert accounts["test-broke"] == ("free", 50)
    plans = {k: (p.requests_per_minute, p.concurrent_jobs, p.daily_jobs) for k, p in fx.plans.plans.items()}
    assert plans == {"free": (10, 1, 100), "starter": (30, 3, 1000), "pro": (60, 10, 10000), "enterprise": (None, None, None)}
    assert "professional-1" in fx.avatar_by_id and "en-US-neural" in fx.voice_by_id
    assert len(fx.avatar_by_id) >= 5 and len({v.language for v in fx.voices.voices}) >= 5
    assert all(fx.portrait_path(a).is_file() for a in fx.avatars.avatars)


def test_a_directory_overrides_file_by_file(tmp_path):
    (tmp_path / "accounts.yaml").write_text(
        "accounts:\n  - {key: mine, plan: starter, credits: 7, webhook_secret: s}\n"
    )
    fx = load_fixtures(tmp_path)
    assert [a.key for a in fx.accounts.accounts] == ["mine"]
    assert fx.sources["accounts.yaml"] == tmp_path / "accounts.yaml"
    assert fx.sources["plans.yaml"].parent == default_fixtures_dir()
    assert "starter" in fx.plans.plans


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
        account = create_app(Settings(fixtures=tmp_path, seed=seed)).state.runtime.emulator.accounts.by_key["anon"]
        return account.name, account.email

    assert who(9) == who(9)
    assert who(9) != who(10)
    assert "@" in who(9)[1]
