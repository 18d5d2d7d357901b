"""Release hygiene: the licence, the changelog, `slabot --version`, the optional extras, and a complete
sdist whose wheel works as an installed copy (examples reachable, nothing read from the checkout)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from bot.example_files import NAMES, shipped

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def test_the_licence_is_mit_in_spdx_form() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"  # SPDX expression, not the deprecated {text = ...} table
    assert project["license-files"] == ["LICENSE"]
    assert "MIT-licensed" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_changelog_has_the_current_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = PYPROJECT["project"]["version"]
    assert f"## {version} " in changelog and "## Unreleased" in changelog


def test_version_flag_prints_the_installed_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip()
        == f"slabot {metadata.version('slabot')}"
        == f"slabot {PYPROJECT['project']['version']}"
    )


def test_the_shipped_examples_are_the_repository_examples() -> None:
    for name in NAMES:
        assert shipped(name).read_bytes() == (ROOT / "examples" / name).read_bytes(), name


def test_chart_and_sentiment_libraries_are_extras_the_test_extra_pulls() -> None:
    project = PYPROJECT["project"]
    core = " ".join(project["dependencies"]).lower()
    for library in ("matplotlib", "textblob", "vadersentiment"):
        assert library not in core, library
    extras = project["optional-dependencies"]
    assert [r.split(">")[0] for r in extras["charts"]] == ["matplotlib"]
    assert [r.split(">")[0] for r in extras["sentiment"]] == ["textblob", "vaderSentiment"]
    assert "slabot[charts,sentiment]" in extras["test"]  # the README's test command installs them
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/pip install -q -e '.[charts,sentiment]' && .venv/bin/slabot demo" in readme


def _without(modules: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``modules`` cannot be imported (as if not installed)."""
    block = f"import sys\nfor m in {modules!r}: sys.modules[m] = None\n"
    return subprocess.run(
        [sys.executable, "-c", block + code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_without_matplotlib_the_chart_says_which_extra_to_install() -> None:
    done = _without(
        ("matplotlib",),
        "from sla.extras import ExtraMissing, missing\n"
        "assert missing('charts') == ('matplotlib',)\n"
        "try:\n    import bot.reports.chart\nexcept ExtraMissing as exc:\n    print(exc)\n"
        "from bot.cli import main\nsys.exit(main(['demo']))\n",
    )
    assert (
        "the compliance chart needs the 'charts' extra (matplotlib): pip install 'slabot[charts]'"
        in done.stdout
    )
    assert (
        done.returncode == 2 and "slabot demo: the compliance chart needs the 'charts' extra" in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_without_the_sentiment_libraries_comments_are_still_scored_and_say_how() -> None:
    done = _without(
        ("textblob", "vaderSentiment"),
        "from sla import sentiment\n"
        "from sla.extras import ExtraMissing\n"
        "assert sentiment.missing_libraries() == ('textblob', 'vaderSentiment')\n"
        "good, bad = sentiment.score('Great job, thanks!'), sentiment.score('This is terrible and too slow.')\n"
        "print(good.label, bad.label, good.version)\n"
        "try:\n    sentiment.plain_textblob('x')\nexcept ExtraMissing as exc:\n    print(exc)\n",
    )
    assert done.returncode == 0, done.stderr
    labels, _, rest = done.stdout.partition("\n")
    assert labels.split()[:2] == ["positive", "negative"]
    assert "textblob missing, vader missing" in labels  # stored with the score: how it was produced
    assert "pip install 'slabot[sentiment]'" in rest


def test_weights_of_missing_libraries_go_to_the_other_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    from sla import sentiment

    weights = (0.2, 0.3, 0.1, 0.4)
    assert sentiment.available_weights(weights) == weights
    monkeypatch.setattr(sentiment, "_vader", lambda: None)
    shared = sentiment.available_weights(weights)
    assert shared[1] == 0 and abs(sum(shared) - sum(weights)) < 1e-9 and shared[0] > weights[0]


def test_a_report_without_matplotlib_is_uploaded_with_its_csv_alone() -> None:
    from handlers.report_delivery import upload_files
    from sla.extras import ExtraMissing

    class Report:
        slug = "weekly"
        period = type("P", (), {"label": "2026-W10"})()

        def chart(self) -> bytes:
            raise ExtraMissing("charts", "the compliance chart")

        def csv(self) -> str:
            return "a,b\n"

    calls: list[dict] = []

    class Client:
        def files_upload_v2(self, **kwargs: object) -> None:
            calls.append(kwargs)

    upload_files(Client(), Report(), channel="C1", thread_ts="1.2")  # type: ignore[arg-type]
    (call,) = calls
    assert [f["filename"] for f in call["file_uploads"]] == ["weekly.csv"]
    assert "pip install 'slabot[charts]'" in call["initial_comment"]


# ----------------------------------------------------------------- the sdist, its wheel, an installed copy


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``python -m build`` on a copy of the files git knows (tracked or new, not ignored): the sdist,
    and the wheel built *from that sdist* (so a file the sdist lacks breaks the wheel)."""
    tmp = tmp_path_factory.mktemp("build")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    src = tmp / "src"
    for name in filter(None, listed.split("\0")):
        source, target = ROOT / name, src / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    out = tmp / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 and not CI and "No matching distribution" in done.stdout + done.stderr:
        pytest.skip("python -m build could not fetch setuptools for its isolated build (offline?)")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


@pytest.mark.slow  # builds the sdist and the wheel in an isolated environment (~1 min)
def test_the_sdist_is_complete(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked_docs = subprocess.run(
        ["git", "ls-files", "docs", "examples"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    must = {
        "LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "MANIFEST.in", "manifest.yaml",
        "Procfile", "app.yaml", "cron.yaml", "Dockerfile", "compose.yaml", "requirements.txt",
        ".python-version", ".env.example", "bot/examples/contracts.yaml", "tests/test_packaging.py",
        *tracked_docs,
    }  # fmt: skip
    assert must - names == set()


@pytest.mark.slow  # builds the sdist and the wheel in an isolated environment (~1 min)
def test_the_wheel_carries_the_examples_and_licence_but_no_tests(built: tuple[Path, Path]) -> None:
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert (
            archive.read("bot/examples/contracts.yaml") == (ROOT / "examples" / "contracts.yaml").read_bytes()
        )
        metadata_text = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "bot/examples/events.csv" in names and "bot/gunicorn_conf.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata_text
    assert "Provides-Extra: charts" in metadata_text and "Provides-Extra: sentiment" in metadata_text
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.slow  # builds the sdist and the wheel in an isolated environment (~1 min)
def test_an_installed_copy_reaches_its_examples_from_any_folder(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    """The wheel installed apart from the checkout (dependencies from this environment), run from an empty
    folder: the demo's hint `slabot contracts check examples/contracts.yaml` and `contracts init` work."""
    _, wheel = built
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    here = tmp_path / "anywhere"
    here.mkdir()
    program = (
        f"import sys; sys.path.insert(0, {str(target)!r})\n"
        f"import bot; assert bot.__file__.startswith({str(target)!r}), bot.__file__\n"
        "from bot.cli import main; sys.exit(main(sys.argv[1:]))\n"
    )

    def slabot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", program, *args], cwd=here, capture_output=True, text=True, timeout=120
        )

    check = slabot("contracts", "check", "examples/contracts.yaml")
    assert check.returncode == 0, check.stderr
    assert "valid" in check.stdout and str(target) in check.stderr  # read from the installed package
    assert slabot("contracts", "init", "mine.yaml").returncode == 0
    assert (here / "mine.yaml").read_bytes() == (ROOT / "examples" / "contracts.yaml").read_bytes()
    replay = slabot("replay", "--contracts", "examples/contracts.yaml", "--events", "examples/events.csv")
    assert replay.returncode == 0, replay.stderr
