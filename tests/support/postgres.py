"""A throwaway PostgreSQL server on 127.0.0.1 for tests, started and stopped by the tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator, List

from tools.servers import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run tools/install_system_packages.sh")
    return found[-1]


def _as_postgres(command: List[str]) -> List[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL of a fresh PostgreSQL server."""
    datadir = tempfile.mkdtemp(prefix="pg-test-", dir="/tmp")
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([_bin("initdb"), "-D", datadir, "-A", "trust", "-U", "postgres"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", datadir, "-w", "-l", f"{datadir}/server.log", "-o",
                                 f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", datadir, "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(datadir, ignore_errors=True)
