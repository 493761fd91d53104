"""`make backup` and `make restore`: the local state (var/*.db: the outbox with its requests, crisis
flags, staff accounts and audit log, and the conversations) to a dated archive and back.

Each database is copied with SQLite's online backup API, which reads a consistent snapshot while
the servers keep writing (a file copy of a live database can catch half a transaction). The
archive holds the copies and a manifest (SHA-256, size and row counts of each), is readable by its
owner only (it holds health information), and goes to backups/ unless `--to` says otherwise.

Restoring checks the archive against its manifest and each database's integrity, says what it will
replace, and asks first (`--yes` for scripts). Stop the servers and the delivery worker before
restoring; start them after. Requests that were waiting for delivery at the time of the backup
are waiting again and are delivered once (the outbox marks each delivered; receivers get the
request id as an Idempotency-Key). PostgreSQL deployments: docs/DEPLOYMENT.md, "Backups"."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import tarfile
import tempfile
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from clinic.paths import PROJECT_ROOT as ROOT

STATE_DIR = ROOT / "var"
BACKUP_DIR = ROOT / "backups"
MANIFEST = "manifest.json"
ARCHIVE_PREFIX = "clinic-state-"
OWNER_ONLY = 0o600


class BackupError(RuntimeError):
    """An archive that cannot be written, read or trusted."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_counts(database: Path) -> Dict[str, int]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}


def online_copy(source: Path, target: Path) -> None:
    """A consistent copy of a database that may be in use, through SQLite's backup API."""
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as live, \
            closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    os.chmod(target, OWNER_ONLY)


def check_integrity(database: Path) -> None:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{database.name} fails SQLite's integrity check: {result}")


def databases_in(state_dir: Path) -> List[Path]:
    return sorted(path for path in state_dir.glob("*.db") if path.is_file())


def create_backup(state_dir: Path, backup_dir: Path, now: Optional[datetime] = None) -> Path:
    databases = databases_in(state_dir)
    if not databases:
        raise BackupError(f"nothing to back up: {state_dir} holds no databases (*.db)")
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H%M%SZ")
    backup_dir.mkdir(parents=True, exist_ok=True)
    archive = backup_dir / f"{ARCHIVE_PREFIX}{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as scratch:
        manifest: Dict[str, object] = {"created": stamp, "databases": {}}
        for database in databases:
            copy = Path(scratch) / database.name
            online_copy(database, copy)
            manifest["databases"][database.name] = {  # type: ignore[index]
                "sha256": sha256_of(copy), "bytes": copy.stat().st_size, "rows": row_counts(copy)}
        (Path(scratch) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = archive.with_suffix(".partial")
        # Owner-only from the first byte: the archive holds health information.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
        with os.fdopen(descriptor, "wb") as stream, tarfile.open(fileobj=stream, mode="w:gz") as tar:
            tar.add(Path(scratch) / MANIFEST, arcname=MANIFEST)
            for database in databases:
                tar.add(Path(scratch) / database.name, arcname=database.name)
        os.replace(partial, archive)
    return archive


def read_archive(archive: Path, into: Path) -> Dict[str, Dict[str, object]]:
    """The archive's databases, extracted into `into` and checked; name -> manifest entry."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            unsafe = [n for n in names if n != Path(n).name or not (n == MANIFEST or n.endswith(".db"))]
            if unsafe or MANIFEST not in names:
                raise BackupError(f"{archive.name} is not a backup made by `make backup` (holds {names})")
            tar.extractall(into)  # names checked above: plain file names only
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"cannot read {archive}: {error}") from error
    databases = json.loads((into / MANIFEST).read_text(encoding="utf-8"))["databases"]
    for name, entry in databases.items():
        path = into / name
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{archive.name}: {name} does not match its manifest (damaged or edited)")
        check_integrity(path)
    return databases


def describe(rows: Dict[str, int]) -> str:
    shown = {"outbox_requests": "requests", "conversation_flags": "flags", "staff_users": "staff accounts",
             "events": "conversation events"}
    parts = [f"{rows[table]} {label}" for table, label in shown.items() if table in rows]
    return ", ".join(parts) or f"{sum(rows.values())} rows"


def restore_backup(archive: Path, state_dir: Path, confirm) -> bool:
    """Replaces the databases in `state_dir` by the archive's, if `confirm(summary)` says yes."""
    with tempfile.TemporaryDirectory() as scratch:
        databases = read_archive(archive, Path(scratch))
        lines = [f"Restore {archive.name} into {state_dir}:"]
        for name, entry in databases.items():
            current = state_dir / name
            now = describe(row_counts(current)) if current.is_file() else "nothing"
            lines.append(f"  {name}: now {now}; from the backup {describe(entry['rows'])}")
        lines.append("Anything recorded since the backup is lost. Stop the servers and the delivery worker first.")
        if not confirm("\n".join(lines)):
            return False
        state_dir.mkdir(parents=True, exist_ok=True)
        for name in databases:
            # A new file moved into place: a reader never sees a half-written database.
            staged = state_dir / f".{name}.restoring"
            staged.unlink(missing_ok=True)
            online_copy(Path(scratch) / name, staged)
            for leftover in (state_dir / f"{name}-wal", state_dir / f"{name}-shm", state_dir / f"{name}-journal"):
                leftover.unlink(missing_ok=True)
            os.replace(staged, state_dir / name)
    return True


def ask(summary: str) -> bool:
    print(summary)
    if not sys.stdin.isatty():
        print("not restored: confirm with --yes (make restore ARCHIVE=... YES=1) when no one can answer",
              file=sys.stderr)
        return False
    return input("Type RESTORE to go ahead: ").strip() == "RESTORE"


def latest_archive(backup_dir: Path) -> Path:
    archives = sorted(backup_dir.glob(f"{ARCHIVE_PREFIX}*.tar.gz"))
    if not archives:
        raise BackupError(f"no backups in {backup_dir}: make one with `make backup`")
    return archives[-1]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="write a dated archive of the local state")
    create.add_argument("--state-dir", type=Path, default=STATE_DIR)
    create.add_argument("--to", type=Path, default=BACKUP_DIR)
    restore = commands.add_parser("restore", help="bring an archive back (asks first)")
    restore.add_argument("archive", nargs="?", type=Path, help="default: the newest in backups/")
    restore.add_argument("--state-dir", type=Path, default=STATE_DIR)
    restore.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            archive = create_backup(args.state_dir, args.to)
            entries = json.loads(tarfile.open(archive).extractfile(MANIFEST).read())["databases"]
            for name, entry in entries.items():
                print(f"{name}: {describe(entry['rows'])}")
            print(f"backup written: {archive}")
            return 0
        archive = args.archive or latest_archive(BACKUP_DIR)
        done = restore_backup(archive, args.state_dir, (lambda summary: print(summary) or True) if args.yes else ask)
        print(f"restored from {archive}" if done else "nothing was changed")
        return 0 if done else 1
    except BackupError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
