"""The packages depend on each other in one direction only (README, Architecture): the clinic's
core knows nothing of Rasa's extension points, the custom actions nothing of the Rasa server."""

from __future__ import annotations

import ast
from typing import Dict, Set

from tests.support.project import ROOT, tracked_files

# Which of the project's packages each package may import.
ALLOWED: Dict[str, Set[str]] = {
    "clinic": set(),
    "rasa_patches": {"clinic"},
    "components": {"clinic", "rasa_patches"},
    "channels": {"clinic", "rasa_patches", "components"},
    "actions": {"clinic"},
}
PROJECT_PACKAGES = {"clinic", "rasa_patches", "components", "channels", "actions", "staff", "tools", "bench", "tests"}


def imported_packages(path: str) -> Set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    return {name.split(".")[0] for name in names} & PROJECT_PACKAGES


def test_each_package_imports_only_the_packages_below_it():
    checked = [path for path in tracked_files("*.py") if path.split("/")[0] in ALLOWED]
    assert len(checked) > 30, f"only {len(checked)} modules found"
    wrong = sorted(f"{path} imports {', '.join(sorted(found - ALLOWED[path.split('/')[0]] - {path.split('/')[0]}))}"
                   for path in checked
                   if (found := imported_packages(path)) - ALLOWED[path.split("/")[0]] - {path.split("/")[0]})
    assert not wrong, "imports against the layering (README, Architecture):\n" + "\n".join(wrong)
