"""`make purge-conversations`: delete conversations idle for more than RETENTION_DAYS days (default
30) from the tracker store. Conversations can hold health information; keep them no longer than the
clinic needs. Staff schedule it, for example nightly with cron:

    15 3 * * *  cd /srv/assistant && make purge-conversations RETENTION_DAYS=30

Booking and call-back requests live in the outbox, not in conversations, and are not touched."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tools.tracker_db import ROOT, UnsupportedStore, purge_conversations, tracker_db_url

DEFAULT_RETENTION_DAYS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=float(os.environ.get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS),
                        help="delete conversations whose last message is older than this many days")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    args = parser.parse_args()
    if args.days < 1:
        sys.exit("--days (RETENTION_DAYS) must be at least 1")
    try:
        result = purge_conversations(tracker_db_url(args.endpoints), args.days, dry_run=args.dry_run)
    except UnsupportedStore as error:
        sys.exit(str(error))
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {result.conversations} conversation(s) ({result.events} events) "
          f"idle for more than {args.days:g} days")


if __name__ == "__main__":
    main()
