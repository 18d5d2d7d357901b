"""Settings: only prefixed names are read, every bad value is one line naming the variable (exit 2),
`slabot run`/`worker` refuse to start without an explicit contract file, `.env.example` is complete."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings, SettingsError, env_example_text, env_names

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "contracts.yaml"
ALLOWED_PLAIN = {"DATABASE_URL", "PORT"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No slabot variable from the machine running the tests, and a working directory without .env."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SLABOT_")) or name in ALLOWED_PLAIN:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_every_setting_is_read_from_a_prefixed_name_only() -> None:
    for field in Settings.model_fields:
        for name in env_names(field):
            assert name.startswith(("SLACK_", "SLABOT_")) or name in ALLOWED_PLAIN, (field, name)


def test_unprefixed_names_of_other_software_change_nothing(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unprefixed = {
        "HOST": "10.9.9.9",
        "LOG_LEVEL": "DEBUG",
        "CONTRACTS": "/etc/other.yaml",
        "TEAM_ID": "T0OTHER",
        "SCHEDULER": "false",
        "SWEEP_SECONDS": "99",
        "ADMINS": "U0EVIL",
    }
    for name, value in unprefixed.items():
        clean_env.setenv(name, value)
        clean_env.setenv(name.lower(), value)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in unprefixed.items()), encoding="utf-8")
    settings = Settings()
    assert settings.host == "0.0.0.0"
    assert settings.log_level == "INFO"
    assert settings.contracts is None
    assert settings.team_id is None
    assert settings.scheduler is True
    assert settings.sweep_seconds == 10
    assert settings.admins == frozenset()


def test_prefixed_names_are_read_from_the_environment_and_dotenv(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "SLABOT_HOST=127.0.0.1\nPORT=8080\nSLABOT_SCHEDULER=false\n", encoding="utf-8"
    )
    clean_env.setenv("PORT", "9090")  # the environment wins over .env
    clean_env.setenv("SLABOT_CONTRACTS", "c.yaml")
    settings = Settings()
    assert (settings.host, settings.port, settings.scheduler) == ("127.0.0.1", 9090, False)
    assert settings.contracts == Path("c.yaml")


def test_code_may_name_a_field_or_its_variable() -> None:
    assert Settings(database_url="sqlite://", sweep_seconds=3).sweep_seconds == 3
    assert Settings(DATABASE_URL="sqlite://", SLABOT_SWEEP_SECONDS=4).sweep_seconds == 4


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "http", "PORT: expected a whole number from 1 to 65535, got 'http'"),
        ("PORT", "70000", "PORT: expected a whole number from 1 to 65535, got '70000'"),
        ("SLABOT_SWEEP_SECONDS", "0", "SLABOT_SWEEP_SECONDS: expected a number of seconds above 0, got '0'"),
        ("SLABOT_SCHEDULER", "maybe", "SLABOT_SCHEDULER: expected true or false, got 'maybe'"),
        ("SLABOT_LOG_LEVEL", "loud", "SLABOT_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got 'loud'"),
        ("SLABOT_SUMMARY_TZ", "Mars/Olympus", "SLABOT_SUMMARY_TZ: expected an IANA time zone"),
        (
            "DATABASE_URL",
            "mysql://root:hunter2@db/slabot",
            "DATABASE_URL: slabot stores its data in SQLite or PostgreSQL: expected sqlite:///",
        ),
        ("DATABASE_URL", "not a url", "DATABASE_URL: expected sqlite:///path/to/slabot.db or postgresql://"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    expected: str,
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s")
    clean_env.setenv("SLABOT_CONTRACTS", str(EXAMPLE))
    clean_env.setenv(variable, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(expected), err
    assert "hunter2" not in err


def test_several_bad_settings_are_all_named_at_once(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PORT", "x")
    clean_env.setenv("SLABOT_SCHEDULER", "sometimes")
    with pytest.raises(SettingsError) as info:
        Settings()
    assert [p.split(":")[0] for p in info.value.problems] == ["PORT", "SLABOT_SCHEDULER"]


def test_a_secret_value_is_never_repeated_in_an_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as info:
        Settings(SLACK_BOT_TOKEN=["xoxb-very-secret"], PORT="x")
    assert "very-secret" not in str(info.value)


@pytest.mark.parametrize("command", ["run", "worker"])
def test_run_and_worker_refuse_to_start_without_a_contract_file(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s")
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err.startswith("SLABOT_CONTRACTS: not set — expected the path of your contract file"), err
    assert "slabot contracts init" in err and err.count("\n") == 1
    assert not Path("slabot.db").exists(), "nothing is created before the settings are known to be good"


def test_a_missing_or_invalid_contract_file_is_named(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s")
    clean_env.setenv("SLABOT_CONTRACTS", "contracts.yaml")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"SLABOT_CONTRACTS: no such file: 'contracts.yaml' (relative to {tmp_path}) — expected the path of your contract file\n"
    )
    (tmp_path / "contracts.yaml").write_text("clients: {}\ncontracts: {}\nbogus: 1\n", encoding="utf-8")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("SLABOT_CONTRACTS: contracts.yaml has 1 error")
    assert "contracts.yaml:3: bogus: unknown key 'bogus'" in err[1]


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLABOT_"))}
    env.update(PORT="-5", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == "PORT: expected a whole number from 1 to 65535, got '-5'\n"


def test_env_example_lists_every_setting_with_its_default() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example_text(), (
        ".env.example is out of date: python -c 'from bot.settings import env_example_text as e; "
        'print(e(), end="")\' > .env.example'
    )
    written = dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.M))
    assert set(written) == {env_names(f)[0] for f in Settings.model_fields}
    assert (
        written["PORT"] == "3000"
        and written["SLABOT_SCHEDULER"] == "true"
        and written["SLABOT_CONTRACTS"] == ""
    )
