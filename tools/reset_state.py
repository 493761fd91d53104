"""`make reset-state`: delete the local state in var/ (conversations, the outbox, logs).

It refuses while the local outbox holds requests the clinic has not received yet (booking and
call-back requests not delivered) or crisis flags, and says how many it would delete; `--force`
(`make reset-state FORCE=1`) deletes them anyway. `make clean` never touches var/.
A database named by OUTBOX_DB_URL or TRACKER_STORE_URL is not local state and is left alone."""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List

from clinic.outbox import PENDING, Outbox
from clinic.paths import PROJECT_ROOT as ROOT

STATE_DIR = ROOT / "var"


@dataclass(frozen=True)
class StateSummary:
    undelivered_requests: int
    crisis_flags: int
    files: List[Path]

    @property
    def at_risk(self) -> bool:
        return self.undelivered_requests > 0 or self.crisis_flags > 0

    def describe(self) -> str:
        return (f"{self.undelivered_requests} undelivered booking or call-back request(s) and "
                f"{self.crisis_flags} crisis flag(s) in {STATE_DIR / 'outbox.db'}")


def summarise(state_dir: Path = STATE_DIR) -> StateSummary:
    files = sorted(state_dir.iterdir()) if state_dir.is_dir() else []
    outbox_file = state_dir / "outbox.db"
    if not outbox_file.is_file():
        return StateSummary(0, 0, files)
    outbox = Outbox(f"sqlite:///{outbox_file}")
    try:
        return StateSummary(len(outbox.requests(status=PENDING)), len(outbox.flags()), files)
    finally:
        outbox.engine.dispose()


def reset(state_dir: Path, force: bool) -> int:
    summary = summarise(state_dir)
    if not summary.files:
        print(f"nothing to delete: {state_dir} is empty or absent")
        return 0
    if summary.at_risk and not force:
        print(f"refusing to delete {state_dir}: it holds {summary.describe()}.\n"
              f"List them with `make bookings` and pass them on to the clinic first, or delete them anyway "
              f"with `make reset-state FORCE=1`.", file=sys.stderr)
        return 1
    for path in summary.files:
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    print(f"deleted {len(summary.files)} item(s) in {state_dir}, including {summary.describe()}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="delete even undelivered requests and crisis flags")
    args = parser.parse_args()
    sys.exit(reset(STATE_DIR, args.force))


if __name__ == "__main__":
    main()
