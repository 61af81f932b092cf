"""The layers of the README's architecture section, checked by import-linter on every test run.

A wrong import (a library module reaching into an app, the SMS outbox importing the subsidy, the
back office importing the partner API) fails here, with import-linter's report of the import
chain. Every package of the project must sit in a layer, so a new service cannot escape them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(config: Path, source: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=config.parent,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers for name in layer.split("|")]


def test_the_import_contracts_are_kept():
    result = _lint(ROOT / "pyproject.toml", ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_package_of_the_project_sits_in_a_layer():
    packages = {
        f"jiedao.{path.parent.name}" for path in (ROOT / "src" / "jiedao").glob("*/__init__.py")
    }
    assert packages - {"jiedao.locale", "jiedao.static", "jiedao.templates"} <= set(_layers()), (
        "add the new package to the layers contract in pyproject.toml"
    )


def test_an_import_against_the_layers_is_refused(tmp_path):
    """The contract bites: the library importing the back office, or the SMS outbox importing the
    subsidy, breaks the run, and the report names the import."""
    source = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "jiedao", source / "jiedao", ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (source / "jiedao" / "lib" / "wrong_way.py").write_text("from jiedao.review import views  # noqa\n")
    (source / "jiedao" / "notices" / "wrong_way.py").write_text("from jiedao.intake import models  # noqa\n")
    result = _lint(tmp_path / "pyproject.toml", source)
    assert result.returncode != 0
    assert "Layers point one way BROKEN" in result.stdout
    assert "jiedao.lib.wrong_way -> jiedao.review.views" in result.stdout
    assert "jiedao.notices.wrong_way -> jiedao.intake.models" in result.stdout
