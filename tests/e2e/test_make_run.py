"""`make run` stops everything it started however it is stopped, refuses ports that are taken, and
reads .env.

Each stop case starts the real `make run` on free ports (5-30 s), waits until the assistant
answers a message, sends one signal the way a terminal, a process manager or a crash would, and
checks that every process of the tree is gone and no port is left listening."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest
import yaml

from tests.support.project import ROOT  # noqa: E402
HOST = "127.0.0.1"
START_TIMEOUT = 240.0  # seconds until the assistant answers (model and widget are built beforehand)
STOP_TIMEOUT = 60.0  # tools.run gives each of three servers up to 15 s to stop before SIGKILL
REFUSAL_TIMEOUT = 30.0
BANNER_END = "Press Ctrl-C to stop."
# Variables of the test's own environment that would change what `make run` does.
NOT_INHERITED = ("CLINIC_PROFILE", "CLINIC_PROFILE_REQUIRED", "RASA_AUTH_TOKEN", "WIDGET_ALLOWED_ORIGINS",
                 "TRACKER_STORE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")


def free_ports(count: int) -> List[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


# --- processes -----------------------------------------------------------------------------------

def stat_fields(pid: int) -> Optional[List[str]]:
    """The fields of /proc/<pid>/stat after the command name (state first); None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def start_time(pid: int) -> Optional[str]:
    """When the process started (clock ticks after boot), to tell it from a later one with its pid;
    None once it is gone or a zombie."""
    fields = stat_fields(pid)
    return None if fields is None or fields[0] in ("Z", "X") else fields[19]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_tree(root: int) -> Dict[int, str]:
    """pid -> start time of `root` and all its descendants, from the parent pids in /proc."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree: Dict[int, str] = {}
    waiting = [root]
    while waiting:
        pid = waiting.pop()
        started = start_time(pid)
        if started:
            tree[pid] = started
            waiting.extend(children.get(pid, []))
    return tree


def still_running(tree: Dict[int, str]) -> List[int]:
    return [pid for pid, started in tree.items() if start_time(pid) == started]


def kill_leftovers(tree: Dict[int, str]) -> None:
    for pid in still_running(tree):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             details: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s {details()}")
        time.sleep(0.2)


# --- make run --------------------------------------------------------------------------------------

@dataclass
class MakeRun:
    process: subprocess.Popen
    rasa_port: int
    action_port: int
    demo_port: int
    staff_port: int
    log: Path

    @property
    def ports(self) -> List[int]:
        return [self.rasa_port, self.action_port, self.demo_port, self.staff_port]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def make_environment(tmp_path: Path) -> Dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    (webhook_port,) = free_ports(1)
    return {
        **environ,
        # Private stores, so that the test leaves the project's conversations and outbox alone.
        "OUTBOX_DB_URL": f"sqlite:///{tmp_path / 'outbox.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        # Starts the delivery worker as well; nothing listens there and the outbox is empty.
        "BOOKING_WEBHOOK_URL": f"http://{HOST}:{webhook_port}/bookings",
        "BOOKING_WEBHOOK_SECRET": "make-run-test",
    }


def start_make_run(tmp_path: Path, ports: Optional[List[int]] = None) -> MakeRun:
    rasa_port, action_port, demo_port, staff_port = ports or free_ports(4)
    log = tmp_path / "make-run.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={rasa_port}", f"ACTION_PORT={action_port}",
             f"DEMO_PORT={demo_port}", f"STAFF_PORT={staff_port}"],
            cwd=ROOT, env=make_environment(tmp_path), stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,  # its own process group, as a terminal's job
        )
    return MakeRun(process, rasa_port, action_port, demo_port, staff_port, log)


def http_status(url: str) -> Optional[int]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


def reply_to(run: MakeRun, message: str) -> List[str]:
    request = urllib.request.Request(
        f"http://{HOST}:{run.rasa_port}/webhooks/rest/webhook",
        data=json.dumps({"sender": f"make-run-test-{os.getpid()}", "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return [m.get("text", "") for m in json.loads(response.read())]


def wait_until_answering(run: MakeRun) -> None:
    def answering() -> bool:
        if run.process.poll() is not None:
            pytest.fail(f"make run exited with {run.process.returncode}:\n{run.output()}")
        return http_status(f"http://{HOST}:{run.rasa_port}/webhooks/rest/") == 200 and BANNER_END in run.output()

    wait_for(answering, START_TIMEOUT, "the assistant answering")
    texts = reply_to(run, "how long does an infusion take?")
    assert any(text.strip() for text in texts), texts
    # The staff console is up too, and its banner line says where.
    assert http_status(f"http://{HOST}:{run.staff_port}/login") == 200
    assert f"Staff:     http://{HOST}:{run.staff_port}/" in run.output()
    assert "Bookings:  delivered by webhook http://" in run.output()  # the test's BOOKING_WEBHOOK_URL


def processes_serving(ports: List[int]) -> List[int]:
    """Processes whose command line names one of the ports (`--port 5005`, `--action-port ...`)."""
    wanted = {str(port) for port in ports}
    found = []
    for pid in (int(name) for name in os.listdir("/proc") if name.isdigit()):
        argv = command_line(pid).split()
        if any(flag.endswith("port") and value in wanted for flag, value in zip(argv, argv[1:])):
            found.append(pid)
    return found


@contextmanager
def make_run(tmp_path: Path, ports: Optional[List[int]] = None) -> Iterator[MakeRun]:
    """`make run` started; whatever the test does, nothing of it outlives the test."""
    run = start_make_run(tmp_path, ports)
    try:
        yield run
    finally:
        leftovers = process_tree(run.process.pid)
        leftovers.update({pid: start_time(pid) or "" for pid in processes_serving(run.ports)})
        kill_leftovers(leftovers)
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGKILL)
        run.process.wait(timeout=10)


def stop_and_check(run: MakeRun, send: Callable[[int], None], shows: str) -> None:
    tree = process_tree(run.process.pid)
    commands = " | ".join(command_line(pid) for pid in tree)
    for part in ("tools.run", "rasa run actions", "tools.rasa_server", "clinic.delivery"):
        assert part in commands, f"{part} is not among the processes of make run: {commands}"
    try:
        send(run.process.pid)
        left = lambda: [f"{pid} {command_line(pid)[:80]}" for pid in still_running(tree)] + [  # noqa: E731
            f"port {port}" for port in run.ports if is_listening(port)]
        wait_for(lambda: not left(), STOP_TIMEOUT, "every process of make run stopping",
                 lambda: f"still there: {left()}; output: {run.output()[-1500:]}")
        assert shows in run.output()
    finally:
        kill_leftovers(tree)


def check_profile_banner(output: str) -> None:
    assert "  Clinic:    " in output
    if ".env: set" not in output:  # a developer's own .env may choose another profile
        assert "This is the DEMO profile" in output and "CLINIC_PROFILE=clinic/your-clinic.yml make run" in output


def build() -> None:
    """The model and the widget `make run` needs, so that its clock measures only itself (others
    editing the training data meanwhile can still make it retrain)."""
    subprocess.run(["make", "--no-print-directory", "train", "widget"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, timeout=1800)


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    build()


# --- .env ----------------------------------------------------------------------------------------

ENV_FILE = ROOT / ".env"
ENV_TEST_CLINIC = "Env File Test Clinic"


@contextmanager
def env_file_choosing_a_profile(tmp_path: Path) -> Iterator[bool]:
    """A .env in the project root choosing a non-demo profile; False (and no file) when the developer
    has a .env of their own, which must not be touched. The file is always removed afterwards."""
    profile = yaml.safe_load((ROOT / "clinic" / "demo.yml").read_text(encoding="utf-8"))
    profile.update(demo=False, name=ENV_TEST_CLINIC)
    profile_file = tmp_path / "profile.yml"
    profile_file.write_text(yaml.safe_dump(profile), encoding="utf-8")
    try:
        descriptor = os.open(ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        yield False
        return
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as env_file:
            env_file.write("# written by tests/e2e/test_make_run.py; removed when it ends\n"
                           f"CLINIC_PROFILE={profile_file}\n")
        yield True
    finally:
        ENV_FILE.unlink(missing_ok=True)


# --- the cases -----------------------------------------------------------------------------------

def test_sigterm_to_make_alone_stops_everything_and_env_file_is_read(tmp_path: Path) -> None:
    """What `kill <pid of make>` or `docker stop` (make being the container's first process) does:
    make forwards SIGTERM to its child, tools.run."""
    with env_file_choosing_a_profile(tmp_path) as env_file_written, make_run(tmp_path) as run:
        if env_file_written:
            # Read once at start: removed at once, so that no other `make run` meanwhile sees it.
            wait_for(lambda: f"read {ENV_FILE}" in run.output() or run.process.poll() is not None, START_TIMEOUT,
                     "make run reading .env")
            ENV_FILE.unlink()
        wait_until_answering(run)
        output = run.output()
        if env_file_written:
            assert f"read {ENV_FILE}: set CLINIC_PROFILE" in output
            assert f"Clinic:    {ENV_TEST_CLINIC}" in output and "This is the DEMO profile" not in output
            with urllib.request.urlopen(f"http://{HOST}:{run.demo_port}/", timeout=5) as page:
                assert ENV_TEST_CLINIC in page.read().decode("utf-8")
        else:
            check_profile_banner(output)
        stop_and_check(run, lambda pid: os.kill(pid, signal.SIGTERM), "SIGTERM received: stopping")
    assert not (env_file_written and ENV_FILE.exists())


@pytest.mark.parametrize("signal_number, stopped_by", [
    # What `timeout` and systemd do: tools.run gets SIGTERM twice, once directly and once forwarded by
    # make; the second one must not cut the stopping of the servers short.
    (signal.SIGTERM, "SIGTERM received: stopping"),
    # The terminal closed: its job's process group gets SIGHUP; make itself forwards nothing.
    (signal.SIGHUP, "SIGHUP received: stopping"),
    # Ctrl-C.
    (signal.SIGINT, "SIGINT received: stopping"),
], ids=["sigterm", "sighup", "ctrl-c"])
def test_a_signal_to_the_process_group_stops_everything(tmp_path: Path, signal_number: int, stopped_by: str) -> None:
    with make_run(tmp_path) as run:
        wait_until_answering(run)
        check_profile_banner(run.output())
        stop_and_check(run, lambda pid: os.killpg(pid, signal_number), stopped_by)


def test_make_killed_stops_everything(tmp_path: Path) -> None:
    """make dies without a word (SIGKILL): tools.run notices that its parent is gone."""
    with make_run(tmp_path) as run:
        wait_until_answering(run)
        stop_and_check(run, lambda pid: os.kill(pid, signal.SIGKILL), "is gone: stopping")


def test_a_taken_port_is_refused_with_its_holder(tmp_path: Path) -> None:
    rasa_port, demo_port, staff_port = free_ports(3)
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        taken = holder.getsockname()[1]
        build()
        started = time.monotonic()
        with make_run(tmp_path, [rasa_port, taken, demo_port, staff_port]) as run:
            run.process.wait(timeout=START_TIMEOUT)
            elapsed = time.monotonic() - started
            output = run.output()
            # Nothing was started: no server on the free ports, no process naming them.
            serving = [command_line(pid) for pid in processes_serving(run.ports)]
            assert serving == [] and not is_listening(rasa_port) and not is_listening(demo_port), serving
    assert run.process.returncode != 0, output
    assert elapsed < REFUSAL_TIMEOUT
    assert f"port {taken} is already in use by pid {os.getpid()} (" in output, output
    assert "choose another port with ACTION_PORT=" in output
    assert "starting the assistant" not in output


def test_servers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a child started by tools.servers.terminate_with_parent() gets SIGTERM when
    the process that started it is killed with SIGKILL, when no cleanup code of its own can run."""
    starter = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, time\n"
         "from tools.servers import terminate_with_parent\n"
         "child = subprocess.Popen(['sleep', '120'], start_new_session=True, preexec_fn=terminate_with_parent())\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(120)\n"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    child = int(starter.stdout.readline())
    started = start_time(child)
    try:
        assert started
        starter.kill()
        starter.wait()
        wait_for(lambda: start_time(child) != started, 10, "the child stopping")
    finally:
        if start_time(child) == started:
            os.kill(child, signal.SIGKILL)
        starter.stdout.close()
