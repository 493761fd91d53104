"""Train a model only when its inputs changed: the model file is named after a hash of
config.yml, domain.yml, data/ and any custom NLU components, so an unchanged project reuses
its model. Prints the model's path on stdout (training output goes to stderr)."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List

ROOT = Path(__file__).resolve().parent.parent
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "components")


def input_files(root: Path, config: Path) -> List[Path]:
    files: List[Path] = [config]
    for name in MODEL_INPUTS[1:]:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in (".yml", ".yaml", ".py")
            )
    return files


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
