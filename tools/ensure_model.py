"""Train a model only when its inputs changed: the model file is named after a hash of the
config, domain.yml, data/, the FAQ topic files (topics/*.yml, from which `make topics` builds part
of domain.yml and data/) and the custom components the config names, so an unchanged project
reuses its model. Prints the model's path on stdout (training output goes to stderr)."""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List

import yaml

from clinic.paths import PROJECT_ROOT as ROOT

def component_files(root: Path, config: Path) -> List[Path]:
    """Source files of the project's own components that the config uses ("components.x.Y")."""
    document = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    names = [entry.get("name", "") for key in ("pipeline", "policies") for entry in (document.get(key) or [])]
    modules = {name.rsplit(".", 1)[0] for name in names if name.count(".") >= 2}
    files = {root.joinpath(*module.split(".")).with_suffix(".py") for module in modules}
    # ...and the project modules they import, in turn (a shared base class, the encoder, the text clean-up).
    pending = list(files)
    while pending:
        path = pending.pop()
        if path.is_file():
            for module in re.findall(r"^from\s+((?:components|clinic)\.\w+)\s+import", path.read_text(encoding="utf-8"),
                                     re.M):
                found = root.joinpath(*module.split(".")).with_suffix(".py")
                if found not in files:
                    files.add(found)
                    pending.append(found)
    return sorted(files)


def input_files(root: Path, config: Path) -> List[Path]:
    files: List[Path] = [config, root / "domain.yml"]
    files.extend(p for p in sorted((root / "data").rglob("*")) if p.is_file() and p.suffix in (".yml", ".yaml"))
    files.extend(sorted((root / "topics").glob("*.yml")))
    return files + [p for p in component_files(root, config) if p.is_file()]


def fingerprint(root: Path, files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def ensure_model(config: Path, out_dir: Path, force: bool = False) -> Path:
    name = f"{config.stem}-{fingerprint(ROOT, input_files(ROOT, config))}"
    model = out_dir / f"{name}.tar.gz"
    if model.exists() and not force:
        print(f"model is up to date: {model}", file=sys.stderr)
        return model
    print(f"training {model} ...", file=sys.stderr)
    rasa = Path(sys.executable).with_name("rasa")
    command = [
        str(rasa), "train", "--config", str(config), "--domain", str(ROOT / "domain.yml"),
        "--data", str(ROOT / "data"), "--out", str(out_dir), "--fixed-model-name", name,
    ]
    if force:
        command.append("--force")
    subprocess.run(command, cwd=ROOT, check=True, stdout=sys.stderr)
    if not model.exists():
        sys.exit(f"training finished but {model} is missing")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--force", action="store_true", help="train even if up to date")
    args = parser.parse_args()
    print(ensure_model(args.config.resolve(), args.out.resolve(), args.force))


if __name__ == "__main__":
    main()
