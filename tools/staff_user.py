"""`make staff-user EMAIL=…`: creates a staff console account, or sets a new password for it
(which ends the account's open sessions). The password is asked twice and never echoed."""

from __future__ import annotations

import argparse
import getpass
import sys

from clinic.outbox import Outbox
from staff.passwords import WeakPassword, check_strength
from staff.store import StaffStore


def ask_password(email: str) -> str:
    for _ in range(3):
        first = getpass.getpass(f"Password for {email}: ")
        try:
            check_strength(first, email)
        except WeakPassword as weak:
            print(f"Too weak: {weak}.", file=sys.stderr)
            continue
        if getpass.getpass("The same password again: ") == first:
            return first
        print("The two passwords differ; try again.", file=sys.stderr)
    sys.exit("no password set")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("email")
    email = parser.parse_args().email.strip().lower()
    if "@" not in email:
        sys.exit(f"{email!r} is not an e-mail address: make staff-user EMAIL=name@clinic.example")
    created = StaffStore(Outbox()).set_password(email, ask_password(email))
    print(f"{'created' if created else 'updated'} the staff account {email}")


if __name__ == "__main__":
    main()
