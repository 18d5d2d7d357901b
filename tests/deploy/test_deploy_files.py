"""The deploy targets as their platforms read them: the Heroku/Dokku buildpack's documented rules, App
Engine's app.yaml and cron.yaml against their documented schemas, gunicorn's own parser on every command
line, and the Dockerfile and compose file (built and started by tests/deploy/test_container.py when a
container engine answers)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import gunicorn.config
import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

import bot.gunicorn_conf
from bot.cli import build_parser
from tests.deploy.app_engine_schema import APP_YAML, CRON_YAML

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SECRETS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_SECRET",
    "DATABASE_URL",
    "SLABOT_TASKS_TOKEN",
)


def lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)  # pip's requirement syntax
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"requirements.txt: {line} is not pinned"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"requirements.txt lists {name} twice"
        pins[name] = spec.version
    return pins


def gunicorn_args(command: str) -> Any:
    """A gunicorn command line as gunicorn parses it ($PORT as the platform substitutes it)."""
    argv = shlex.split(command.replace("$PORT", "8080"))
    while argv and "=" in argv[0] and not argv[0].startswith("-"):  # VAR=value prefixes
        argv.pop(0)
    assert argv[0] == "gunicorn", command
    return gunicorn.config.Config().parser().parse_args(argv[1:])


def assert_preloaded_slabot(args: Any) -> None:
    assert args.preload_app is True and args.config == "python:bot.gunicorn_conf"
    assert args.args == ["bot.wsgi:application"]
    assert any(b.endswith(":8080") for b in args.bind), args.bind


# ----------------------------------------------------------------- Heroku / Dokku (buildpacks)


def test_the_buildpack_finds_exactly_one_package_manager_and_a_python_version() -> None:
    """heroku/python's documented rules: one of requirements.txt, Pipfile.lock, poetry.lock or uv.lock in
    the root (several are an error), the version in .python-version (runtime.txt is deprecated), given in
    the major form ("3.11") that still receives security updates."""
    managers = [
        n
        for n in ("requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock")
        if (ROOT / n).exists()
    ]
    assert managers == ["requirements.txt"]
    assert not (ROOT / "runtime.txt").exists()
    version = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.(9|1[0-3])", version), version
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(version + ".0")


def test_the_lock_file_pins_every_dependency_within_pyproject() -> None:
    pins = lock()
    project = PYPROJECT["project"]
    direct = list(project["dependencies"])
    for extra in ("charts", "sentiment"):
        direct += project["optional-dependencies"][extra]
    for line in direct:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} (pyproject.toml) is not in requirements.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            assert canonicalize_name(f"{requirement.name}-{extra}") in pins
    assert "slabot" not in pins and not any(n in pins for n in ("pytest", "ruff", "hypothesis"))


def test_the_lock_file_is_complete_for_this_environment() -> None:
    """Every transitive dependency is pinned (scripts/lock_requirements.py regenerates the file)."""
    from importlib import util

    spec = util.spec_from_file_location("lock_requirements", ROOT / "scripts" / "lock_requirements.py")
    assert spec is not None and spec.loader is not None
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    needed = {canonicalize_name(n) for n in module.closure()}
    assert needed - set(lock()) == set(), "run scripts/lock_requirements.py"


def test_procfile_processes_are_what_the_platform_runs() -> None:
    processes = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert set(processes) == {"web", "worker", "release"}
    web = processes["web"].strip()
    assert web.startswith("SLABOT_SCHEDULER=false ")  # web dynos scale; the worker sweeps
    assert_preloaded_slabot(gunicorn_args(web))
    for name, words in (("worker", ["worker"]), ("release", ["db", "upgrade"])):
        argv = shlex.split(processes[name])
        assert argv[:3] == ["python", "-m", "bot"] and argv[3:] == words  # no console script needed
        assert callable(build_parser().parse_args(argv[3:]).handler)


# ----------------------------------------------------------------- App Engine


def test_app_yaml_is_valid_against_app_engines_schema() -> None:
    config = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(config, APP_YAML)
    assert_preloaded_slabot(gunicorn_args(config["entrypoint"]))
    assert "warmup" in config["inbound_services"]
    assert not set(config.get("env_variables", {})) & set(SECRETS)  # secrets never in the file
    runtime = config["runtime"].removeprefix("python")
    assert (ROOT / ".python-version").read_text(encoding="utf-8").strip() == f"{runtime[0]}.{runtime[1:]}"


@pytest.mark.parametrize(
    "broken",
    [
        {"runtime": "python311", "entrypoint": "x", "automatic_scaling": {"min_instance": 1}},  # typo
        {"runtime": "python27"},
        {"runtime": "python311", "instance_class": "B2", "automatic_scaling": {"min_instances": 1}},
        {"runtime": "python311", "env_variables": {"SLABOT_SWEEP_SECONDS": 10}},  # not a string
        {"runtime": "python311", "inbound_services": ["warm-up"]},
    ],
)
def test_the_schema_rejects_what_gcloud_rejects(broken: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, APP_YAML)


def test_cron_yaml_is_valid_and_calls_the_sweep_with_get() -> None:
    config = yaml.safe_load((ROOT / "cron.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(config, CRON_YAML)
    (job,) = config["cron"]
    assert job["url"] == "/tasks/sweep" and job["schedule"] == "every 1 minutes"
    for bad in ("every minute", "each 1 minutes", "every 1 minutes please"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"cron": [{"url": "/tasks/sweep", "schedule": bad}]}, CRON_YAML)


def test_app_engines_urls_are_routes_of_the_app(tmp_path: Path) -> None:
    """GET /_ah/warmup (inbound_services: warmup) and GET /tasks/sweep (cron.yaml: App Engine's cron
    only ever GETs) exist on the app the entrypoint serves."""
    from bot.app import bootstrap
    from tests.support.settings import example_settings

    runtime = bootstrap(example_settings(tmp_path / "gae.db", SLACK_SIGNING_SECRET="s"))
    routes = set(runtime.web._routes)
    runtime.engine.dispose()
    assert ("GET", "/_ah/warmup") in routes
    for job in yaml.safe_load((ROOT / "cron.yaml").read_text(encoding="utf-8"))["cron"]:
        assert ("GET", job["url"]) in routes


# ----------------------------------------------------------------- gunicorn's settings


def test_gunicorn_conf_sets_only_settings_gunicorn_knows_and_builds_before_binding() -> None:
    known = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    ours = {
        k
        for k, v in vars(bot.gunicorn_conf).items()
        if not k.startswith("_") and k not in {"annotations", "wsgi", "Any"}
    }
    assert ours - known == set(), "unknown gunicorn setting names are silently ignored"
    assert bot.gunicorn_conf.preload_app is True
    # on_starting runs before gunicorn opens its listening socket: the build happens there
    assert {"on_starting", "post_fork", "worker_exit"} <= ours
    assert bot.gunicorn_conf.graceful_timeout > 8  # SLABOT_SHUTDOWN_SECONDS' default fits in it


# ----------------------------------------------------------------- container files


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_small_non_root_and_health_checked() -> None:
    steps = dockerfile()
    stages = [rest for word, rest in steps if word == "FROM"]
    assert len(stages) == 2 and all("-slim" in s for s in stages)  # a build stage and a slim runtime
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    (health,) = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert "/livez" in health and "--interval" in health
    copies = [rest for word, rest in final if word == "COPY"]
    assert copies == ["--from=build /opt/slabot /opt/slabot"]  # only the virtualenv, no sources, no pip cache
    (cmd,) = [rest for word, rest in final if word == "CMD"]
    import json

    argv = json.loads(cmd)
    args = gunicorn.config.Config().parser().parse_args(argv[1:])
    assert argv[0] == "gunicorn" and args.preload_app and args.config == "python:bot.gunicorn_conf"


def test_dockerfile_installs_the_lock_file_first_and_copies_only_what_exists() -> None:
    steps = dockerfile()
    runs = [rest for word, rest in steps if word == "RUN"]
    copies = [rest.split() for word, rest in steps if word == "COPY" and not rest.startswith("--from")]
    assert copies[0] == ["requirements.txt", "./"]
    assert any("pip install -r requirements.txt" in r for r in runs)
    assert any("pip install --no-deps ." in r for r in runs)
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }  # fmt: skip
    for parts in copies:
        for source in parts[:-1]:
            assert (ROOT / source).exists(), source
            assert source not in ignored, f"{source} is excluded by .dockerignore"


def test_compose_runs_web_worker_postgres_and_migrations_before_start() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:") and "healthcheck" in services["db"]
    assert services["migrate"]["command"] == ["slabot", "db", "upgrade"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        service = services[name]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert service["build"] == "." and service["image"] == services["migrate"]["image"]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["SLABOT_CONTRACTS"] == "/config/contracts.yaml"
        assert "./contracts.yaml:/config/contracts.yaml:ro" in service["volumes"]
        assert not set(env) & {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}  # secrets come from .env
    assert services["web"]["environment"]["SLABOT_SCHEDULER"] == "false"
    assert services["worker"]["command"] == ["slabot", "worker"]
    assert services["worker"]["environment"]["PORT"]  # its health listener, for the image's HEALTHCHECK
    assert "3000:3000" in services["web"]["ports"]
