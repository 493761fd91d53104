"""`make shell`: try the assistant out in the terminal.

A tryout, kept apart from real conversations: it starts its own action server and Rasa server
(through the launcher, with the same changes to Rasa's behaviour as `make run`) on free loopback
ports, with the conversation store and the outbox in a temporary folder deleted at the end, so
nothing typed here reaches var/tracker.db, the staff console or the clinic. It never talks to an
action server it did not start (one left over from `make run` may run older code).

Messages go to the REST channel; answers show their buttons as numbered options, exactly as SMS
shows them (channels/messaging), and a typed number picks that option of the last answer.
Ctrl-D, Ctrl-C or /quit ends the tryout and stops both servers."""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, TextIO

from tools.servers import ROOT, running_assistant, shown_path

QUIT = {"/quit", "/exit"}
PROMPT = "you: "
REPLY_TIMEOUT = 60.0
# The tryout's own logs: kept after it ends, apart from those of `make run`.
LOGS = ROOT / "var" / "logs" / "shell"


def say(text: str = "", stream: TextIO = sys.stdout) -> None:
    print(text, file=stream, flush=True)


def tryout_environment(workdir: Path) -> Dict[str, str]:
    """The servers' settings: the outbox in the tryout's folder; no shared conversation store, lock
    store or messaging channel from the environment (the tryout must not reach them)."""
    from channels.messaging.registry import CHANNELS

    env = {variable: "" for channel in CHANNELS for variable in channel.required.values()}
    env.update({"OUTBOX_DB_URL": f"sqlite:///{workdir / 'outbox.db'}", "TRACKER_STORE_URL": "", "LOCK_STORE_URL": ""})
    return env


@contextmanager
def tryout_servers(model: Path, workdir: Path) -> Iterator[str]:
    """The action server and the Rasa server of the tryout, stopped on leaving (and by the kernel if
    this process dies); yields the REST channel's webhook URL."""
    with ExitStack() as running:
        try:
            assistant = running.enter_context(running_assistant(
                model, workdir, env=tryout_environment(workdir), log_dir=LOGS, die_with_parent=True))
        except (RuntimeError, TimeoutError) as error:
            raise SystemExit(f"the assistant did not start: {error}; see {shown_path(LOGS)}/rasa.log "
                             "and actions.log") from None
        yield assistant.rest_webhook


def picked_option(typed: str, buttons: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The button a typed number picks among the last answer's, read as the SMS channels read it."""
    from channels.messaging.base import picked_button

    return picked_button(typed, buttons)


def shown_answers(messages: List[Dict[str, Any]]) -> str:
    """The assistant's messages as the terminal shows them: buttons as numbered options, as in SMS."""
    from channels.messaging.base import numbered_options

    shown = []
    for message in messages:
        text, buttons = str(message.get("text") or ""), message.get("buttons") or []
        if buttons:
            shown.append(numbered_options(text, buttons))
        elif text:
            shown.append(text)
        if message.get("image"):
            shown.append(f"[image: {message['image']}]")
    return "\n\n".join(shown)


@dataclass
class Conversation:
    webhook: str
    sender: str = field(default_factory=lambda: f"shell-{uuid.uuid4().hex[:12]}")
    # The buttons of the assistant's last message, which a typed number picks from.
    options: List[Dict[str, Any]] = field(default_factory=list)

    def post(self, message: str) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": self.sender, "message": message}).encode("utf-8")
        request = urllib.request.Request(self.webhook, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=REPLY_TIMEOUT) as answer:
                return json.loads(answer.read().decode("utf-8") or "[]")
        except urllib.error.HTTPError as error:
            # The REST channel answers a refused or failed message with {"error", "messages"?}.
            try:
                refused = json.loads(error.read().decode("utf-8"))
            except ValueError:
                refused = {}
            if refused.get("messages"):
                return refused["messages"]
            return [{"text": f"(the assistant answered {error.code}: {refused.get('error', error.reason)})"}]

    def turn(self, typed: str) -> str:
        """Sends what was typed (a number: the payload of that option) and returns the answer to show."""
        option = picked_option(typed, self.options)
        messages = self.post(str(option["payload"]) if option else typed)
        self.options = list(messages[-1].get("buttons") or []) if messages else []
        picked = f"→ {option['title']}\n" if option else ""
        return picked + (shown_answers(messages) or "(no answer)")


def lines(stream: TextIO, interactive: bool) -> Iterator[str]:
    """What the user types, a line at a time, until Ctrl-D (or the end of piped input)."""
    while True:
        if interactive:
            try:
                yield input(PROMPT)
            except EOFError:
                say()
                return
        else:
            line = stream.readline()
            if not line:
                return
            say(PROMPT + line.rstrip("\n"))  # echoed, so that the transcript reads as a conversation
            yield line.rstrip("\n")


def chat(conversation: Conversation, stream: TextIO = sys.stdin) -> None:
    for typed in lines(stream, stream.isatty()):
        if typed.strip().lower() in QUIT:
            return
        if not typed.strip():
            continue
        try:
            say(conversation.turn(typed))
        except (urllib.error.URLError, OSError) as error:
            raise SystemExit(f"the assistant stopped answering ({error}); see {shown_path(LOGS)}/rasa.log")
        say()


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m tools.shell <model.tar.gz> (make shell trains or finds the model)")
    model = Path(args[0])
    if not model.is_file():
        raise SystemExit(f"model not found: {model}; run make train (make shell does)")
    try:
        with tempfile.TemporaryDirectory(prefix="clinic-shell-") as workdir:
            say(f"starting the assistant with {model.name} (half a minute or so) ...", sys.stderr)
            with tryout_servers(model, Path(workdir)) as webhook:
                say("A tryout: what you type here is kept in a temporary folder, deleted when you quit, and "
                    "never reaches the clinic.\nType a message; a number picks an option of the last answer; "
                    "/quit or Ctrl-D ends.\n", sys.stderr)
                chat(Conversation(webhook))
    except KeyboardInterrupt:
        say()  # both servers are stopped by now (and the kernel stops them if this process is killed)


if __name__ == "__main__":
    main()
