"""`rasa run` with the safety nets a clinic needs; `make run`, the tests and the benchmarks start
the Rasa server through it (`python -m tools.rasa_server run --model ...`, same arguments).

Rasa 3.6 waits up to 300 s for a custom action and, when the action server is down or fails,
drops the action's events and says nothing to the user. Here a custom action gets
ACTION_TIMEOUT seconds (default 5); when it fails or runs out of time, the user is told that
something went wrong and given the clinic's phone, and one log line says which action failed.
Forms keep their place: the question is simply asked again. A failed session start falls back to
Rasa's own, with the welcome, so questions are still answered.

Each action server response is checked against Rasa's schema with the schema's validator built
once (install_response_validator), not rebuilt and re-checked for every custom action.

Errors of the conversation store reach the channels (see install_strict_tracker_store), which
answer with an apology instead of silently starting the conversation over.

The HTTP API is enabled exactly when RASA_AUTH_TOKEN is set (and `--enable-api` without a token
is refused): without a token, anyone who can reach the server could read and rewrite every
conversation.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

logger = logging.getLogger("tools.rasa_server")

# Above the slowest answers of an action server under load (50 patients booking at once on two
# cores, BENCHMARKS.md): at 1.5 s the deadline fired on healthy but queued actions and told
# patients something had gone wrong.
DEFAULT_ACTION_TIMEOUT = 5.0


def action_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get("ACTION_TIMEOUT", DEFAULT_ACTION_TIMEOUT)))
    except ValueError:
        return DEFAULT_ACTION_TIMEOUT


def install_action_deadline(timeout: float) -> None:
    """Wraps RemoteAction.run: a deadline, and a reply to the user instead of silence."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.actions.action import create_bot_utterance
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME

    from channels.replies import log_failure, service_problem_text

    if getattr(RemoteAction.run, "has_deadline", False):
        return
    original_run = RemoteAction.run

    async def run_with_deadline(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any,
                                domain: Any) -> List[Any]:
        try:
            return await asyncio.wait_for(original_run(self, output_channel, nlg, tracker, domain), timeout)
        except ActionExecutionRejection:
            raise  # a form's "not my turn": Rasa handles it
        except Exception as error:  # noqa: BLE001 (timeouts, connection errors, bad responses)
            log_failure(logger, f"custom action '{self.name()}'", tracker.sender_id, error)
            if self.name() == ACTION_SESSION_START_NAME:
                return await local_session_start(output_channel, nlg, tracker, domain)
            return [create_bot_utterance({"text": service_problem_text()})]

    run_with_deadline.has_deadline = True  # type: ignore[attr-defined]
    RemoteAction.run = run_with_deadline  # type: ignore[method-assign]


def install_response_validator() -> None:
    """Rasa 3.6 checks every action server response with jsonschema.validate(), which first checks
    the schema itself against jsonschema's meta-schema: most of a custom action's cost in the Rasa
    server (about 60 ms each under profiling, five times a whole FAQ answer), paid by every new
    conversation (its session start) and every booking message. Here the schema is checked once and
    its validator kept; a response it refuses goes through Rasa's own check, for Rasa's own error."""
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "keeps_its_validator", False):
        return
    rasas_check = RemoteAction._validate_action_result
    kept: Dict[type, Any] = {}

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        validator = kept.get(type(self))
        if validator is None:
            schema = self.action_response_format_spec()
            validator_class = validators.validator_for(schema)
            validator_class.check_schema(schema)
            validator = kept[type(self)] = validator_class(schema)
        if best_match(validator.iter_errors(result)) is None:
            return True
        return rasas_check(self, result)

    validate_action_result.keeps_its_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def install_strict_tracker_store() -> None:
    """Tracker store errors reach the channel, which answers with an apology and logs one line.

    Rasa's FailSafeTrackerStore hides them: a failed read starts the patient's conversation over
    as if new, a failed save goes to memory that the next read ignores, and its log line quotes
    the SQL parameters, the patient's message included."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def save(self: FailSafeTrackerStore, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    FailSafeTrackerStore.save = save  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]


async def local_session_start(output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    """Without the action server a conversation still starts: Rasa's own session start and the
    welcome; the clinic's facts come from the profile (components/response_generator.py)."""
    from rasa.core.actions.action import ActionSessionStart, create_bot_utterance

    events = await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    welcome = await nlg.generate("utter_welcome", tracker, output_channel.name())
    return ([create_bot_utterance(welcome)] if welcome else []) + list(events)


def api_arguments(args: Sequence[str], environ: Optional[Dict[str, str]] = None) -> List[str]:
    """The arguments to run with: the API is on exactly when RASA_AUTH_TOKEN (or --auth-token) is set.

    The token from the environment is added here, inside the process, so that it never shows in
    the process list."""
    environ = os.environ if environ is None else environ
    args = list(args)
    has_token = any(a == "--auth-token" or a.startswith("--auth-token=") for a in args)
    token = environ.get("RASA_AUTH_TOKEN", "").strip()
    if token and not has_token:
        return args + ["--enable-api", "--auth-token", token]
    if "--enable-api" in args and not has_token:
        raise SystemExit("refusing to start: the HTTP API needs an auth token; set RASA_AUTH_TOKEN")
    return args


def with_messaging_channels(args: Sequence[str], environ: Optional[Dict[str, str]] = None) -> List[str]:
    """Points --credentials at a copy that adds the messaging channels whose variables are set."""
    import tempfile

    import yaml

    from channels.messaging.registry import enabled_channel_credentials

    channels = enabled_channel_credentials(environ)
    args = list(args)
    if not channels:
        return args
    if "--credentials" in args:
        source = args[args.index("--credentials") + 1]
    else:
        source = "credentials.yml"
        args += ["--credentials", source]
    with open(source, encoding="utf-8") as handle:
        credentials = yaml.safe_load(handle) or {}
    credentials.update(channels)
    # Only ${VAR} references: Rasa fills them from the environment, no secret lands on disk.
    handle = tempfile.NamedTemporaryFile("w", prefix="credentials-", suffix=".yml", delete=False)
    with handle:
        yaml.safe_dump(credentials, handle, sort_keys=False)
    args[args.index("--credentials") + 1] = handle.name
    atexit.register(lambda: os.path.exists(handle.name) and os.remove(handle.name))
    print("messaging channels enabled: " + ", ".join(path.rsplit(".", 1)[1] for path in channels), file=sys.stderr)
    return args


def require_clinic_profile() -> None:
    """The answers carry the profile's facts: a missing, broken or (in a deployment) demo profile
    stops the server before it takes a message (clinic/profile.py)."""
    from clinic.profile import ProfileError, current_profile

    try:
        current_profile()
    except ProfileError as error:
        raise SystemExit(f"refusing to start: clinic profile: {error}") from error


def main(args: Sequence[str]) -> None:
    require_clinic_profile()
    arguments = with_messaging_channels(api_arguments(args))
    install_action_deadline(action_timeout())
    install_response_validator()
    install_strict_tracker_store()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
