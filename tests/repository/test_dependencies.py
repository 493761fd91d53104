"""requirements.txt declares every package the code imports directly, each pinned at the version
locked in constraints.txt, so that nothing works only because Rasa happens to pull it in."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import distributions
from pathlib import Path
from typing import Dict, Set

from tests.support.project import ROOT, tracked_files

# The project's own packages: the folders at its root that hold an __init__.py.
PROJECT_PACKAGES = {path.parent.name for path in ROOT.glob("*/__init__.py")}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> Dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def module_providers() -> Dict[str, Set[str]]:
    """Top-level module -> the installed distributions providing it (from top_level.txt, or from the
    files a distribution installed: wheels built without top_level.txt, such as Rasa's)."""
    providers: Dict[str, Set[str]] = {}
    for dist in distributions():
        tops = set((dist.read_text("top_level.txt") or "").split())
        if not tops:
            tops = {Path(str(f)).parts[0].removesuffix(".py") for f in dist.files or []
                    if not str(f).startswith("..") and ".dist-info" not in str(f) and "__pycache__" not in str(f)}
        for top in tops:
            providers.setdefault(top, set()).add(canonical(dist.metadata["Name"]))
    return providers


def imported_modules() -> Dict[str, Set[str]]:
    """Top-level modules imported by tracked Python files -> the files importing them."""
    tracked = tracked_files("*.py")
    modules: Dict[str, Set[str]] = {}
    for name in tracked:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"), filename=name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                modules.setdefault(top, set()).add(name)
    return modules


def test_every_imported_package_is_a_pinned_requirement():
    third_party = {module: files for module, files in imported_modules().items()
                   if module not in sys.stdlib_module_names and module not in PROJECT_PACKAGES
                   and module != "__future__"}
    assert "sqlalchemy" in third_party and "rasa" in third_party, "the import scan found nothing"
    providers = module_providers()
    required = pins(ROOT / "requirements.txt")
    undeclared = {}
    for module, files in sorted(third_party.items()):
        names = providers.get(module, set())
        assert names, f"{sorted(files)[0]} imports {module}, which no installed package provides"
        if not names & set(required):
            undeclared[module] = (sorted(names), sorted(files)[:3])
    assert not undeclared, ("requirements.txt: add a pinned line (name==version from constraints.txt) for "
                            f"each package imported directly, then run make lock: {undeclared}")


def test_every_requirement_is_pinned_at_its_locked_version():
    locked = pins(ROOT / "constraints.txt")
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.strip().startswith("#")]
    unpinned = [line for line in lines if not PIN.match(line)]
    assert not unpinned, f"requirements.txt: pin these with ==: {unpinned}"
    drift = {name: (version, locked.get(name)) for name, version in pins(ROOT / "requirements.txt").items()
             if locked.get(name) != version}
    assert not drift, f"requirements.txt and constraints.txt disagree (run make lock): {drift}"
