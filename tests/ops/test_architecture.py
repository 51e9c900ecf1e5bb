"""The house rules of docs/architecture.md: import contracts (import-linter), no import
cycles, module sizes and file names. Each check is also shown to fail on a breach."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import PRODUCTION_PACKAGES as PACKAGES

ROOT = Path(__file__).resolve().parents[2]
# Modules allowed past MAX_LINES, each with the reason a reader would otherwise ask for.
LONG_MODULES = {
    "matching/engine/index.py": "one layer of the engine's index: its build and the "
    "vectorised scoring of its rows, read together (ranking over layers is ranking.py)",
    "matching/matches/workflow.py": "the match state machine: every transition with its guard "
    "and notice, read top to bottom (docs/workflow.md follows it)",
    "demo/loader.py": "the demo city's loader, one section per YAML file (not production code)",
    "demo/scale.py": "the demo city copied N times for benchmarks, one table after another "
    "(not production code)",
}
MAX_LINES = 500
# File names that name a feature after the kind of code (api_x.py): features are packages.
SUFFIXED = ("api_", "serializers_", "admin_", "tasks_", "views_", "forms_", "urls_")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_fail_on_a_cycle_and_on_an_upward_import(tmp_path):
    """Copy the code, add one cycle and one upward import: import-linter must refuse both."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # A cycle inside matching.matches: two modules importing each other.
    matches = tmp_path / "matching" / "matches"
    (matches / "first.py").write_text("from matching.matches import second  # noqa\n")
    (matches / "second.py").write_text("from matching.matches import first  # noqa\n")
    # The bottom library reaching up into an app.
    dates = tmp_path / "lib" / "dates.py"
    dates.write_text(dates.read_text() + "\nimport matching.models\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    out = " ".join(result.stdout.split())  # contract names are wrapped to the terminal
    assert "No import cycles anywhere: between packages, subpackages or modules BROKEN" in out
    assert "The bottom library imports no app BROKEN" in out


def _production_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_longer_than_500_lines_without_a_reason():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _production_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    unexplained = {name: lines for name, lines in long.items() if name not in LONG_MODULES}
    assert not unexplained, f"split these modules or give a reason in LONG_MODULES: {unexplained}"
    stale = set(LONG_MODULES) - set(long)
    assert not stale, f"no longer long, remove from LONG_MODULES: {stale}"


def test_no_file_is_named_after_a_feature_with_a_suffix():
    suffixed = [
        str(path.relative_to(ROOT))
        for path in _production_modules()
        if path.name.startswith(SUFFIXED) and path.name != "api_urls.py"
    ]
    assert not suffixed, f"put the feature in a package of its own: {suffixed}"
