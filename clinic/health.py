"""`python -m clinic.health URL`: exits 0 when URL answers 200 within 5 seconds, 1 otherwise, with a
line saying why; the containers' healthchecks use it on each process's readiness (both images
have Python, neither has curl)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def main(arguments: list) -> int:
    if len(arguments) != 1:
        print("usage: python -m clinic.health URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(arguments[0], timeout=5) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(f"{arguments[0]}: HTTP {error.code} {error.read().decode(errors='replace').strip()}", file=sys.stderr)
    except OSError as error:
        print(f"{arguments[0]}: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
