"""Static checks of the deployment files: docker-compose.yml, Dockerfile, .env.example.

No Docker engine runs where these tests run, so the stack is checked by reading the files:
the services and how they start, health checks, start order, that the app is wired to the
compose services, that every variable is documented, and that what the image runs exists.
``docker compose config`` runs in .ci/run when the compose CLI plugin is installed (it is
not on this machine; a test would only ever skip here).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
SETTINGS_FILE = ROOT / "tsunagu" / "settings.py"

APP_SERVICES = ("migrate", "web", "worker", "beat")
ALL_SERVICES = ("postgres", "redis", *APP_SERVICES)

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $NAME; "$$" is a literal "$".
_INTERPOLATION = re.compile(
    r"(?<!\$)\$(?:\{(?P<braced>[A-Za-z_]\w*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|(?P<bare>[A-Za-z_]\w*))"
)


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_example() -> dict[str, str]:
    """Active NAME=value lines of .env.example, quotes removed as compose does."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f".env.example: not NAME=value: {line!r}"
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def documented_names() -> set[str]:
    """Every NAME in .env.example, set (NAME=…) or shown commented out (# NAME=…)."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose-style interpolation of one string (enough for the forms used here)."""

    def replace(match: re.Match) -> str:
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        current = variables.get(name)
        if op in (":-", "-"):
            if current is None or (op == ":-" and current == ""):
                return arg
        if op in (":?", "?") and (current is None or (op == ":?" and current == "")):
            raise AssertionError(f"${{{name}}} is required: {arg}")
        return current or ""

    return _INTERPOLATION.sub(replace, value).replace("$$", "$")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        logical.append(current)
        current = ""
    if current:
        logical.append(current)
    return [(ins.upper(), args.strip()) for ins, _, args in (x.partition(" ") for x in logical)]


def dockerfile_cmd() -> list[str]:
    cmds = [args for ins, args in dockerfile_instructions() if ins == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    cmd = cmds[-1]
    return json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)


def command_of(service: dict) -> list[str]:
    """The service's command as a list (compose `command:` or else the image's CMD)."""
    command = service.get("command")
    if command is None:
        return dockerfile_cmd()
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def app_environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {k: interpolate(str(v), env_example()) for k, v in environment.items()}


# --- services, images, builds ---------------------------------------------------------------


def test_compose_file_has_the_services_and_no_obsolete_version_key(compose):
    assert "version" not in compose, "the Compose spec dropped `version:`; remove it"
    assert set(ALL_SERVICES) <= set(compose["services"])


def test_backing_services_use_the_chosen_images(services):
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "build" not in services["postgres"] and "build" not in services["redis"]


def test_app_services_build_one_image_from_the_repo_dockerfile(services):
    images = set()
    for name in APP_SERVICES:
        build = services[name]["build"]
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build["context"]).resolve()
        assert context == ROOT, f"{name}: builds from {context}, not the repository"
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
        images.add(services[name]["image"])
    assert len(images) == 1, f"app services should share one image tag, got {images}"


def test_app_services_restart_and_migrate_runs_once(services):
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["migrate"].get("restart") == "no"


# --- commands --------------------------------------------------------------------------------


def test_migrate_service_applies_migrations(services):
    assert command_of(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]


def test_web_runs_gunicorn_with_the_wsgi_module_on_port_8000(services):
    command = command_of(services["web"])
    assert command[:2] == ["gunicorn", "tsunagu.wsgi"]
    joined = " ".join(command)
    assert re.search(r"--bind[= ]0\.0\.0\.0:8000\b", joined), joined
    assert re.search(r"--access-logfile[= ]-(\s|$)", joined), "access log should go to stdout"
    assert "--timeout" in joined
    ports = [str(p) for p in services["web"].get("ports", [])]
    assert any(p.endswith(":8000") for p in ports), ports


def test_worker_and_beat_commands(services):
    worker = command_of(services["worker"])
    assert worker[:4] == ["celery", "-A", "tsunagu.celery", "worker"]
    assert "--loglevel=INFO" in worker
    assert any(a.startswith("--concurrency=${") for a in worker), "concurrency from .env"

    beat = " ".join(command_of(services["beat"]))
    assert beat.startswith("celery -A tsunagu.celery beat")
    assert "--loglevel=INFO" in beat
    assert re.search(r"--scheduler[= ]django_celery_beat\.schedulers:DatabaseScheduler\b", beat), (
        beat
    )


def test_redis_keeps_queued_tasks_across_restarts(services):
    command = command_of(services["redis"]) if "command" in services["redis"] else []
    joined = " ".join(command)
    assert re.search(r"--appendonly[= ]yes\b", joined), joined
    assert any(str(v).endswith(":/data") for v in services["redis"]["volumes"])


def test_postgres_data_lives_on_a_named_volume(services):
    volumes = [str(v) for v in services["postgres"]["volumes"]]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in volumes), volumes


# --- health checks and start order ------------------------------------------------------------


def test_health_checks(services):
    assert "pg_isready" in healthcheck_text(services["postgres"])
    assert "redis-cli ping" in healthcheck_text(services["redis"])
    web = healthcheck_text(services["web"])
    assert "urllib" in web and "/healthz" in web and "curl" not in web
    worker = healthcheck_text(services["worker"])
    assert "celery -A tsunagu.celery inspect ping" in worker
    assert "$$HOSTNAME" in worker, "a single $ would be interpolated by compose, not the shell"
    for name in ("postgres", "redis", "web", "worker"):
        test = services[name]["healthcheck"]["test"]
        assert isinstance(test, str) or test[0] in ("CMD", "CMD-SHELL"), (name, test)


def test_web_healthcheck_script_compiles(services):
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "<web healthcheck>", "exec")


def test_start_order(services):
    def conditions(name: str) -> dict[str, str]:
        depends = services[name].get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        return {k: v["condition"] for k, v in depends.items()}

    assert conditions("migrate") == {"postgres": "service_healthy"}
    for name in ("web", "worker", "beat"):
        assert conditions(name) == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
            "migrate": "service_completed_successfully",
        }, name


# --- wiring and variables -------------------------------------------------------------------


def test_app_services_point_to_the_compose_postgres_and_redis(services):
    import environ

    postgres = services["postgres"]["environment"]
    for name in APP_SERVICES:
        environment = app_environment(services[name])
        db = urlsplit(environment["DATABASE_URL"])
        assert db.scheme in ("postgres", "postgresql")
        assert (db.hostname, db.port) == ("postgres", 5432), name
        assert db.username == postgres["POSTGRES_USER"]
        assert db.path.lstrip("/") == postgres["POSTGRES_DB"]
        assert db.password == env_example()["POSTGRES_PASSWORD"]
        config = environ.Env.db_url_config(environment["DATABASE_URL"])
        assert config["ENGINE"] == "django.db.backends.postgresql"

        broker = urlsplit(environment["CELERY_BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379), name

        assert services[name].get("env_file") in (".env", [".env"]), name


def yaml_strings(node) -> list[str]:
    """Every string in the parsed compose file (keys and values; comments are gone)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*yaml_strings(k), *yaml_strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in yaml_strings(item)]
    return [node] if isinstance(node, str) else []


def test_every_compose_variable_is_documented_in_env_example(compose):
    referenced = {
        m["braced"] or m["bare"] for s in yaml_strings(compose) for m in _INTERPOLATION.finditer(s)
    }
    assert referenced, "expected ${VARIABLES} in docker-compose.yml"
    missing = referenced - documented_names()
    assert not missing, f"not documented in .env.example: {sorted(missing)}"


def settings_env_names() -> set[str]:
    """Names passed to env(...), env.bool(...), env.int(...), env.list(...), env.db(...),
    env.email_url(...) and the other django-environ readers in tsunagu/settings.py."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
            and func.attr != "read_env"
        )
        first = node.args[0]
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def test_every_variable_the_settings_read_is_in_env_example():
    names = settings_env_names()
    # The parser must see the variables named in the brief, or it is broken.
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"} <= names
    missing = names - documented_names()
    assert not missing, f"read by tsunagu/settings.py but not in .env.example: {sorted(missing)}"


def test_env_example_holds_production_values():
    values = env_example()
    assert values["DEBUG"] == "false"
    # The placeholder key must be caught by `check --deploy` (security.W009) if left as is.
    assert values["SECRET_KEY"].startswith("django-insecure-")
    assert values["ALLOWED_HOSTS"] and "*" not in values["ALLOWED_HOSTS"]
    assert all(o.startswith("https://") for o in values["CSRF_TRUSTED_ORIGINS"].split(","))
    assert values["EMAIL_URL"].startswith(("smtp+tls://", "smtp+ssl://"))
    assert values["POSTGRES_PASSWORD"]
    for name, value in values.items():
        assert "$" not in value.replace("$$", ""), f"{name}: compose would interpolate '$'"


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else str(volume).split(":")[0]
            if source and not source.startswith((".", "/", "~", "$")):
                used.add(source)
    assert used, "expected named volumes for postgres and redis"
    assert used <= declared, f"undeclared volumes: {sorted(used - declared)}"


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_base_image_is_python_311():
    instructions = dockerfile_instructions()
    args = {}
    for ins, rest in instructions:
        if ins == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            args.setdefault(name.strip(), default.strip())
    bases = [interpolate(rest.split()[0], args) for ins, rest in instructions if ins == "FROM"]
    assert bases, "no FROM"
    for base in bases:
        assert base.startswith("python:3.11"), base


def test_dockerfile_installs_the_project_runs_non_root_and_collects_static():
    instructions = dockerfile_instructions()
    runs = " && ".join(rest for ins, rest in instructions if ins == "RUN")
    assert re.search(r"pip install (\S+ )*\.(\s|$)", runs), "the image should `pip install .`"
    collect = next(rest for ins, rest in instructions if ins == "RUN" and "collectstatic" in rest)
    assert "DEBUG=false" in collect and "SECRET_KEY=" in collect
    users = [rest for ins, rest in instructions if ins == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8000") in instructions


def test_what_the_image_runs_exists():
    """gunicorn's module and celery's -A module import (in a subprocess, production env)."""
    modules = {dockerfile_cmd()[1]}
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    for name in ("worker", "beat"):
        command = command_of(compose["services"][name])
        modules.add(command[command.index("-A") + 1])
    assert modules == {"tsunagu.wsgi", "tsunagu.celery"}
    assert (ROOT / "manage.py").is_file(), "migrate runs `python manage.py`"
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    code += "import tsunagu.wsgi; assert callable(tsunagu.wsgi.application)"
    result = subprocess.run(
        [sys.executable, "-c", code, *sorted(modules)],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false", "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_image_contains_the_app_data_files():
    """The image runs the project as installed by `pip install .`: every non-Python file in
    the app packages (templates, YAML, ...) must match pyproject's package-data patterns."""
    from setuptools import find_namespace_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    config = config["setuptools"]
    include = config["packages"]["find"]["include"]
    patterns = config["package-data"]["*"]
    packages = [
        p for p in find_namespace_packages(where=str(ROOT), include=include) if "__" not in p
    ]
    missing = []
    for package in packages:
        directory = ROOT / package.replace(".", "/")
        for path in directory.iterdir():
            if path.is_file() and path.suffix not in (".py", ".pyc"):
                if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
                    missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not installed by `pip install .` (add to package-data): {missing}"


def test_settings_paths_the_image_needs_are_inside_packages(settings):
    """In the image settings.BASE_DIR is site-packages: a translation or template directory
    outside the app packages (e.g. a top-level locale/) would not be installed."""
    packages = (
        "tsunagu",
        "lib",
        "web",
        "demo",
        "organizations",
        "proposals",
        "matching",
        "notifications",
    )
    paths = [Path(p) for p in settings.LOCALE_PATHS]
    paths += [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    outside = [
        str(p)
        for p in paths
        if p.exists()
        and not any(p.resolve().is_relative_to(ROOT / package) for package in packages)
    ]
    assert not outside, f"not installed by `pip install .`, so missing in the image: {outside}"


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    lines = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv", "var", ".git", ".env", "**/__pycache__", ".pytest_cache"):
        assert entry in lines, entry
    # pyproject.toml declares readme = "README.md": the build needs it.
    assert "*.md" not in lines or "!README.md" in lines


# --- the web health check against a running server ------------------------------------------


def test_web_healthcheck_passes_with_production_security_settings(
    live_server, settings, transactional_db, services
):
    """DEBUG=false means ALLOWED_HOSTS and SECURE_SSL_REDIRECT apply to the probe too: it
    must send an allowed Host and X-Forwarded-Proto, or it gets 400/301 instead of 200."""
    settings.ALLOWED_HOSTS = ["tsunagu.example.jp"]
    settings.SECURE_SSL_REDIRECT = True
    script = services["web"]["healthcheck"]["test"][3]
    assert "http://127.0.0.1:8000/healthz" in script
    script = script.replace("http://127.0.0.1:8000", live_server.url)
    env = {**os.environ, "ALLOWED_HOSTS": "tsunagu.example.jp,www.tsunagu.example.jp"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr

    naive = f"import urllib.request; urllib.request.urlopen('{live_server.url}/healthz')"
    result = subprocess.run(
        [sys.executable, "-c", naive], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0, "a probe without Host/X-Forwarded-Proto should not pass"
