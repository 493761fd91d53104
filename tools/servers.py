"""Start and stop the action server and the Rasa server: used by `make run`, the end-to-end
tests and the benchmarks, so every one of them runs the assistant the same way."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, List, Optional, Sequence

from clinic.paths import PROJECT_ROOT as ROOT

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
ACTION_PORT = 5055  # the port endpoints.yml names


def shown_path(path: Path) -> str:
    """A path inside the project as relative to its root, any other whole."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def endpoints_for(action_port: int, running: ExitStack) -> Path:
    """endpoints.yml names the action server on its usual port; another port needs a copy naming it,
    kept in var/ while the servers run."""
    endpoints = ROOT / "endpoints.yml"
    if action_port == ACTION_PORT:
        return endpoints
    import yaml

    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://{HOST}:{action_port}/webhook"
    copy = ROOT / "var" / f"endpoints-actions-{action_port}.yml"
    copy.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    running.callback(copy.unlink, missing_ok=True)
    return copy


def write_endpoints(path: Path, action_port: int, tracker_db: Path, stock: bool = False,
                    rasa_store: bool = False) -> Path:
    """The endpoints of a test or benchmark server; `rasa_store`: Rasa's own SQL tracker store on
    SQLite, as a team would configure it, instead of the project's."""
    store = (f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{tracker_db}"\n' if rasa_store else
             f'tracker_store:\n  type: components.tracker_store.ClinicTrackerStore\n  db: "{tracker_db}"\n')
    text = f'action_endpoint:\n  url: "http://{HOST}:{action_port}/webhook"\n' + store
    if not stock:
        text += ("nlg:\n  type: components.response_generator.ProfileResponseGenerator\n"
                 "lock_store:\n  type: components.lock_store.ClinicLockStore\n")
    path.write_text(text, encoding="utf-8")
    return path


# Rasa's stock REST channel, for benchmarks that measure what the project's safety nets cost.
STOCK_CREDENTIALS = "rest:\n"


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def terminate_with_parent() -> Optional[Callable[[], None]]:
    """A preexec_fn asking the kernel to send the child SIGTERM when the process that starts it dies,
    even by SIGKILL, where no cleanup code of its own can run (Linux only; None elsewhere). The
    request belongs to the starting *thread*: start such children from one that lives as long."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # looked up before the fork: the child only calls it
    parent = os.getpid()

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


def _spawn(command: Sequence[str], log: IO[bytes], env: Optional[dict] = None,
           die_with_parent: bool = False) -> subprocess.Popen:
    environment = {**os.environ, **(env or {})}
    # Own process group, so that stopping the server also stops Sanic's workers.
    return subprocess.Popen(
        list(command), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=environment,
        start_new_session=True, preexec_fn=terminate_with_parent() if die_with_parent else None,
    )


def start_action_server(port: int, log: IO[bytes], env: Optional[dict] = None,
                        die_with_parent: bool = False) -> subprocess.Popen:
    return _spawn(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        log,
        # The SDK binds 0.0.0.0 unless told otherwise; the action server is internal.
        {"SANIC_HOST": HOST, **(env or {})},
        die_with_parent,
    )


def start_staff_console(port: int, endpoints: Path, log: IO[bytes], env: Optional[dict] = None,
                        die_with_parent: bool = False) -> subprocess.Popen:
    return _spawn([sys.executable, "-m", "staff", "--host", HOST, "--port", str(port), "--endpoints", str(endpoints)],
                  log, env, die_with_parent)


def start_rasa_server(
    model: Path,
    port: int,
    endpoints: Path,
    log: IO[bytes],
    credentials: Path = ROOT / "credentials.yml",
    extra_args: Sequence[str] = (),
    env: Optional[dict] = None,
    stock: bool = False,
    die_with_parent: bool = False,
) -> subprocess.Popen:
    # Rasa's own `rasa run`, with the safety nets of tools/rasa_server.py unless `stock` (benchmarks).
    launcher = [str(BIN / "rasa")] if stock else [sys.executable, "-m", "tools.rasa_server"]
    command: List[str] = [
        *launcher, "run", "--model", str(model), "--interface", HOST,
        "--port", str(port), "--endpoints", str(endpoints), "--credentials", str(credentials),
        *extra_args,
    ]
    return _spawn(command, log, env, die_with_parent)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def stop(process: Optional[subprocess.Popen], timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass  # killed; a poll() interrupted by a stop signal can leave Popen's own lock taken
    except ProcessLookupError:
        pass


def restart_rasa_server(process: Optional[subprocess.Popen], model: Path, url: str, endpoints: Path,
                        log_path: Path, env: Optional[dict] = None,
                        extra_args: Sequence[str] = ()) -> subprocess.Popen:
    """Stops a Rasa server and starts it again at `url`, appending to its log; waits until it answers."""
    stop(process)
    with open(log_path, "ab") as log:
        restarted = start_rasa_server(model, int(url.rsplit(":", 1)[1]), endpoints, log,
                                      extra_args=extra_args, env=env)
    wait_until_up(f"{url}/webhooks/rest/", restarted)
    return restarted


@dataclass
class Assistant:
    rasa_url: str
    action_url: str
    rasa: subprocess.Popen
    actions: subprocess.Popen
    workdir: Path
    action_port: int
    env: dict
    model: Path
    extra_args: Sequence[str] = ()

    @property
    def rest_webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def start_actions(self) -> None:
        """(Re)starts the action server on its port, after it was stopped or killed."""
        stop(self.actions)
        with open(self.workdir / "actions.log", "ab") as log:
            self.actions = start_action_server(self.action_port, log, self.env)
        wait_until_up(f"{self.action_url}/health", self.actions)

    def restart_rasa(self) -> None:
        """Stops the Rasa server and starts it again on the same port, stores and model."""
        self.rasa = restart_rasa_server(self.rasa, self.model, self.rasa_url, self.workdir / "endpoints.yml",
                                        self.workdir / "rasa.log", self.env, self.extra_args)


@contextmanager
def running_assistant(
    model: Path,
    workdir: Path,
    rasa_port: Optional[int] = None,
    action_port: Optional[int] = None,
    extra_args: Sequence[str] = (),
    env: Optional[dict] = None,
    stock: bool = False,
    rasa_store: bool = False,
    log_dir: Optional[Path] = None,
    die_with_parent: bool = False,
) -> Iterator[Assistant]:
    """Both servers on free loopback ports with a private SQLite tracker store and outbox.
    `stock` serves the model with plain `rasa run` and Rasa's REST channel, and `rasa_store` with
    Rasa's own SQL tracker store (for benchmarks). The logs (actions.log, rasa.log) go to `log_dir`,
    by default `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_dir = log_dir or workdir
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {"OUTBOX_DB_URL": f"sqlite:///{workdir / 'outbox.db'}", **(env or {})}
    rasa_port = rasa_port or free_port()
    action_port = action_port or free_port()
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, workdir / "tracker.db", stock, rasa_store)
    credentials = ROOT / "credentials.yml"
    if stock:
        credentials = workdir / "credentials.yml"
        credentials.write_text(STOCK_CREDENTIALS, encoding="utf-8")
    with open(log_dir / "actions.log", "ab") as action_log, open(log_dir / "rasa.log", "ab") as rasa_log:
        actions = rasa = running = None
        try:
            actions = start_action_server(action_port, action_log, env, die_with_parent)
            rasa = start_rasa_server(model, rasa_port, endpoints, rasa_log, credentials=credentials,
                                     extra_args=extra_args, env=env, stock=stock, die_with_parent=die_with_parent)
            action_url = f"http://{HOST}:{action_port}"
            rasa_url = f"http://{HOST}:{rasa_port}"
            wait_until_up(f"{action_url}/health", actions)
            wait_until_up(f"{rasa_url}/webhooks/rest/", rasa)
            running = Assistant(rasa_url, action_url, rasa, actions, workdir, action_port, env, model, extra_args)
            yield running
        finally:
            # A test may have restarted either server: stop the ones running now.
            stop(running.rasa if running else rasa)
            stop(running.actions if running else actions)
