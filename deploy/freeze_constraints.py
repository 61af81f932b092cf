"""Print deploy/constraints.txt: the installed versions of every runtime dependency of jiedao.

Run from the project's venv after `pip install -e .` with the new pins:
    .venv/bin/python deploy/freeze_constraints.py > deploy/constraints.txt
Test-only packages (pytest, moto, playwright …) are not followed: only what the image installs.
"""

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = """\
# Exact versions of every runtime dependency (direct and indirect) that the test suite ran with;
# the Dockerfile installs the project with `pip install -c deploy/constraints.txt .` so that an
# image built later gets the same libraries. Direct dependencies are pinned in pyproject.toml too
# (tests/core/test_deploy_files.py checks that both agree). Regenerate after changing a pin:
#   see docs/deploy.md, "Upgrading dependencies"."""


def runtime_closure(root: str = "jiedao") -> dict[str, str]:
    found: dict[str, tuple[str, set[str]]] = {}

    def walk(name: str, extras=()) -> None:
        dist = metadata.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        if key in found and set(extras) <= found[key][1]:
            return
        wanted = found.get(key, (dist.version, set()))[1] | set(extras)
        found[key] = (dist.version, wanted)
        for raw in dist.requires or []:
            requirement = Requirement(raw)
            environments = [{"extra": extra} for extra in (wanted or {""})]
            if requirement.marker and not any(
                requirement.marker.evaluate(env) for env in environments
            ):
                continue
            walk(requirement.name, requirement.extras)

    walk(root)
    found.pop(canonicalize_name(root))
    return {name: version for name, (version, _extras) in sorted(found.items())}


if __name__ == "__main__":
    print(HEADER)
    for name, version in runtime_closure().items():
        print(f"{name}=={version}")
