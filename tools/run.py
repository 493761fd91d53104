"""`make run`: the action server, the Rasa server and the demo page on local ports until stopped.

Whatever stops it - Ctrl-C (SIGINT), SIGTERM (a process manager, `docker stop`, `timeout`),
SIGHUP (the terminal closed) or the death of its parent (`make` killed) - it stops every process
it started. The servers run in their own sessions, so terminal signals never reach them directly;
each is also started with PR_SET_PDEATHSIG, so that even a SIGKILL of this process stops them."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, List, Optional, Set

from clinic.profile import ClinicProfile, ProfileError, check_deployable, load_profile, profile_path
from clinic.delivery import delivery_summary
from tools.demo_site import DEMO_PORT, serving_demo_page
from tools.env_file import EnvFileError, load_env_file
from tools.servers import (
    ACTION_PORT, HOST, ROOT, endpoints_for, shown_path, start_action_server, start_rasa_server, start_staff_console,
    stop, terminate_with_parent, wait_until_up,
)
from staff.app import DEFAULT_PORT as STAFF_PORT

RASA_PORT = 5005
ENV_FILE = ROOT / ".env"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TCP_LISTEN = "0A"  # the state column of /proc/net/tcp


class StopRequested(Exception):
    """A stop signal arrived; raised in the main thread wherever it is."""


# A plain list, not a threading.Event: the handler runs between any two bytecodes of the main thread,
# even inside itself when make forwards a second SIGTERM, and setting an Event there can wait for the
# Event's own lock forever (make run once hung so after SIGTERM to its process group).
_stop_reasons: List[str] = []
_lost_parent: List[int] = []  # the parent's pid once it is gone, to say why everything stops


def say(text: str) -> None:
    """Prints, unless the terminal is gone (after SIGHUP): stopping the servers matters more."""
    try:
        print(text, flush=True)
    except OSError:
        pass


def _request_stop(signum: int, _frame: object) -> None:
    # Only the first signal interrupts; later ones must not cut the cleanup short.
    if _stop_reasons:
        return
    _stop_reasons.append(f"the parent process ({_lost_parent[0]}) is gone" if _lost_parent
                         else f"{signal.Signals(signum).name} received")
    raise StopRequested(_stop_reasons[0])


def stop_on_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _request_stop)


def watch_parent() -> None:
    """Stops everything when the parent (`make`) dies: nothing else would tell this process."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        _lost_parent.append(parent)
        os.kill(os.getpid(), signal.SIGTERM)  # handled in the main thread, like any other stop

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# --- ports ---------------------------------------------------------------------------------------

def listening_socket_inodes(port: int) -> Set[str]:
    """Inodes of the TCP sockets listening on `port` (any address, IPv4 or IPv6)."""
    inodes: Set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == TCP_LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def socket_owners(inodes: Set[str]) -> List[int]:
    """Pids holding one of the sockets; processes of other users cannot be seen."""
    targets = {f"socket:[{inode}]" for inode in inodes}
    owners = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in targets for fd in (proc / "fd").iterdir()):
                owners.append(int(proc.name))
        except OSError:
            continue
    return sorted(owners)


def describe_process(pid: int, limit: int = 100) -> str:
    """A short command line: `rasa run actions --port 5055` rather than the interpreter's path."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    argv = [arg for arg in argv if arg]
    if len(argv) > 1 and Path(argv[0]).name.startswith("python") and not argv[1].startswith("-"):
        argv = argv[1:]  # a script run by the interpreter: name the script
    if not argv:
        return "?"
    text = " ".join(" ".join([Path(argv[0]).name, *argv[1:]]).split())  # one line, even for `python -c`
    return text if len(text) <= limit else text[:limit - 3] + "..."


def bind_error(port: int) -> Optional[OSError]:
    """Why the servers could not listen on HOST:port, if they could not. SO_REUSEADDR, as the servers
    use it, so that connections of a server stopped a moment ago (TIME_WAIT) do not count."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            return error
    return None


def port_holder(port: int) -> str:
    owners = socket_owners(listening_socket_inodes(port))
    if not owners:
        return "another program"
    return ", ".join(f"pid {pid} ({describe_process(pid)})" for pid in owners[:3])


def port_problems(ports: Dict[str, int]) -> List[str]:
    """What keeps the servers from their ports, by the Make variable that chooses each port."""
    variables_by_port: Dict[int, List[str]] = {}
    for variable, port in ports.items():
        variables_by_port.setdefault(port, []).append(variable)
    problems = []
    for port, variables in variables_by_port.items():
        if len(variables) > 1:
            problems.append(f"{' and '.join(variables)} share port {port}; give each server its own port")
            continue
        error = bind_error(port)
        if error and error.errno == errno.EADDRINUSE:
            problems.append(f"port {port} is already in use by {port_holder(port)}; "
                            f"stop it or choose another port with {variables[0]}=...")
        elif error:
            problems.append(f"cannot listen on port {port} ({error.strerror}); "
                            f"choose another port with {variables[0]}=...")
    return problems


# --- what the servers are started with ------------------------------------------------------------

def profile_lines(profile: ClinicProfile, path: Path) -> str:
    line = f"  Clinic:    {profile.name} (profile {shown_path(path)})\n"
    if not profile.demo:
        return line
    return line + (
        "             This is the DEMO profile: the clinic, its phone, e-mail and address are fictional.\n"
        "             For your clinic: copy clinic/demo.yml, fill it in, and start with\n"
        "             CLINIC_PROFILE=clinic/your-clinic.yml make run (or set CLINIC_PROFILE in .env).\n"
    )


def banner(args: argparse.Namespace, profile: ClinicProfile, path: Path, demo_url: str, logs: Path,
           delivery: Optional[str]) -> str:
    url = f"http://{HOST}:{args.port}"
    return (
        "\nThe assistant is running.\n"
        + profile_lines(profile, path)
        + f"  REST:      curl -s -X POST {url}/webhooks/rest/webhook "
        f"-H 'Content-Type: application/json' "
        f"-d '{{\"sender\": \"me\", \"message\": \"how long does an infusion take?\"}}'\n"
        f"  Website:   {demo_url} (demo clinic page with the chat widget)\n"
        f"  Widget:    {url}/webhooks/socketio/widget.js (Socket.IO at {url}/socket.io)\n"
        f"  Terminal:  make shell (in another terminal)\n"
        f"  Staff:     http://{HOST}:{args.staff_port}/ (staff console; accounts: make staff-user EMAIL=...)\n"
        + (f"  HTTP API:  {url} (enabled by RASA_AUTH_TOKEN; add ?token=...)\n"
           if os.environ.get("RASA_AUTH_TOKEN", "").strip()
           else "  HTTP API:  off (set RASA_AUTH_TOKEN to enable it)\n")
        + (f"  Bookings:  delivered by {delivery} (log: {logs / 'delivery.log'})\n"
           if delivery else "  Bookings:  kept in the outbox; see them in the staff console or with make bookings\n")
        + "Press Ctrl-C to stop."
    )


def read_env_file() -> None:
    try:
        applied = load_env_file(ENV_FILE)
    except EnvFileError as error:
        sys.exit(str(error))  # names the file and the line
    except (OSError, UnicodeDecodeError) as error:
        sys.exit(f"cannot read {ENV_FILE}: {error}")
    if applied is not None:
        names = ", ".join(applied) or "nothing (empty values and variables already set are skipped)"
        say(f"read {ENV_FILE}: set {names}")


def serve(args: argparse.Namespace, profile: ClinicProfile, path: Path, delivery: Optional[str],
          running: ExitStack) -> None:
    """Starts everything, registering how to stop each part in `running`; returns when a server stops."""
    demo_origins = f"http://{HOST}:{args.demo_port},http://localhost:{args.demo_port}"
    # credentials.yml allows the demo page on its default port; another port must be allowed too.
    rasa_env = {} if args.demo_port == DEMO_PORT or os.environ.get("WIDGET_ALLOWED_ORIGINS") \
        else {"WIDGET_ALLOWED_ORIGINS": demo_origins}
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    action_log = running.enter_context(open(logs / "actions.log", "ab"))
    rasa_log = running.enter_context(open(logs / "rasa.log", "ab"))
    delivery_log = running.enter_context(open(logs / "delivery.log", "ab"))
    staff_log = running.enter_context(open(logs / "staff.log", "ab"))
    endpoints = endpoints_for(args.action_port, running)

    actions = start_action_server(args.action_port, action_log, die_with_parent=True)
    running.callback(stop, actions)
    rasa = start_rasa_server(args.model, args.port, endpoints, rasa_log, env=rasa_env, die_with_parent=True)
    running.callback(stop, rasa)
    staff = start_staff_console(args.staff_port, endpoints, staff_log, die_with_parent=True)
    running.callback(stop, staff)
    worker: Optional[subprocess.Popen] = None
    if delivery:
        # The notices' links point at this console unless STAFF_CONSOLE_URL says otherwise.
        os.environ.setdefault("STAFF_CONSOLE_URL", f"http://{HOST}:{args.staff_port}")
        worker = subprocess.Popen([sys.executable, "-m", "clinic.delivery"], cwd=ROOT, stdout=delivery_log,
                                  stderr=subprocess.STDOUT, start_new_session=True,
                                  preexec_fn=terminate_with_parent())
        running.callback(stop, worker)
    say(f"starting the assistant with {args.model.name} (logs in {logs}) ...")
    try:
        wait_until_up(f"http://{HOST}:{args.action_port}/health", actions)
        wait_until_up(f"http://{HOST}:{args.port}/webhooks/rest/", rasa)
        wait_until_up(f"http://{HOST}:{args.staff_port}/login", staff)
    except (RuntimeError, TimeoutError) as error:
        sys.exit(f"{error}; see the logs in {logs}")
    demo_url = running.enter_context(serving_demo_page(args.demo_port, f"http://{HOST}:{args.port}"))
    say(banner(args, profile, path, demo_url, logs, delivery))
    servers = [process for process in (actions, rasa, staff, worker) if process is not None]
    while all(process.poll() is None for process in servers):
        time.sleep(1)
    sys.exit(f"a server stopped unexpectedly; see the logs in {logs}")


def main() -> None:
    read_env_file()  # first: everything below may read the environment
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("--port", type=int, default=RASA_PORT)
    parser.add_argument("--action-port", type=int, default=ACTION_PORT)
    parser.add_argument("--demo-port", type=int, default=DEMO_PORT)
    parser.add_argument("--staff-port", type=int, default=STAFF_PORT)
    args = parser.parse_args()

    try:
        path = profile_path()
        profile = load_profile(path)
        check_deployable(profile, path)  # refused here, before any server, rather than by both at start-up
    except ProfileError as error:
        sys.exit(f"clinic profile: {error}")
    # What the delivery worker will do; an incomplete webhook or e-mail setting stops here, by name.
    delivery = delivery_summary()
    problems = port_problems({"PORT": args.port, "ACTION_PORT": args.action_port, "DEMO_PORT": args.demo_port,
                              "STAFF_PORT": args.staff_port})
    if problems:
        sys.exit("\n".join(problems))

    stop_on_signals()
    watch_parent()
    running = ExitStack()
    try:
        serve(args, profile, path, delivery, running)
    except StopRequested as request:
        say(f"\n{request}: stopping ...")
    finally:
        _stop_reasons.append("stopping")  # from here on, signals no longer interrupt: the servers must be stopped
        running.close()


if __name__ == "__main__":
    main()
