"""`make bookings`: list the booking and call-back requests in the outbox, newest first, with
their delivery state; `make bookings EXPORT=requests.csv` also writes them as CSV."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import List

from clinic.outbox import Outbox

COLUMNS = ["request_id", "kind", "status", "created_at", "name", "phone", "email", "preferred_time",
           "preferred_time_text", "reason", "insurance", "message", "conversation_id", "channel",
           "attempts", "last_error", "delivered_at"]


def rows(outbox: Outbox) -> List[dict]:
    return [{**row["payload"], **{k: row[k] for k in ("status", "attempts", "last_error", "delivered_at")}}
            for row in outbox.requests()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--export", type=Path, help="write every request to this CSV file")
    args = parser.parse_args()
    outbox = Outbox()
    requests = rows(outbox)
    print(f"{len(requests)} request(s) in {outbox.url.split('@')[-1]}, newest first:")
    for r in requests:
        contact = " / ".join(v for v in (r.get("phone"), r.get("email")) if v)
        when = r.get("preferred_time_text") or ""
        print(f"  {r['request_id']}  {r['kind']:8s} {r['status']:9s} {r['created_at']}  "
              f"{(r.get('name') or '')[:40]:40s} {contact:35s} {when[:40]}")
    flags = outbox.flags()
    if flags:
        print(f"{len(flags)} conversation(s) flagged for staff follow-up (crisis):")
        for f in flags:
            print(f"  {f['created_at']}  {f['conversation_id']}  via {f['channel']}  ({f['detail']})")
    if args.export:
        with open(args.export, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(requests)
        os.chmod(args.export, 0o600)
        print(f"wrote {len(requests)} request(s) to {args.export}")


if __name__ == "__main__":
    sys.exit(main())
