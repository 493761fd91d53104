"""Every change this assistant makes to Rasa's own behaviour, in one place.

Rasa offers no extension point for these four, so its methods are replaced when the assistant
starts (apply()); everything else is done through Rasa's extension points (custom components,
policy, tracker store, lock store, channels), listed with the Rasa internals they rely on in the
README's architecture section.

- RemoteAction.run (install_action_deadline): Rasa 3.6 waits up to 300 s for a custom action and,
  when the action server is down or fails, drops the action's events and says nothing to the user.
  Here a custom action gets ACTION_TIMEOUT seconds (default 5); when it fails or runs out of time,
  the user is told that something went wrong and given the clinic's phone, and one log line says
  which action failed. Forms keep their place: the question is simply asked again. A failed
  session start falls back to Rasa's own, with the welcome, so questions are still answered.
- RemoteAction._validate_action_result (install_response_validator): each action server response
  is checked against Rasa's schema with the schema's validator built once, not rebuilt and
  re-checked for every custom action.
- FailSafeTrackerStore.save, .retrieve and .retrieve_full_tracker (install_strict_tracker_store):
  errors of the conversation store reach the channels, which answer with an apology instead of
  silently starting the conversation over. Rasa's Agent wraps every tracker store in a
  FailSafeTrackerStore, so a custom tracker store cannot opt out.
- DaskGraphRunner.run (install_sequential_graph_runner): every message runs the model's graph three
  times (understanding, then choosing each next action), and Rasa hands each run to dask, which
  orders the graph anew, with its scheduler's bookkeeping, to run it on one thread in the end. Here
  each set of targets is ordered once and its nodes are called in that order, with the same inputs
  and the same results: the same work, without dask's share of a message's time on the event loop.

apply() runs at every entry point: the server launcher (tools/rasa_server.py, used by `make run`,
`make shell`, the tests, the benchmarks and the images) and, for a plain `rasa run`, `rasa shell`
or `rasa test`, the import of this project's components (components/__init__.py), which Rasa
loads with the model. It refuses to run on another Rasa version than WRITTEN_FOR_RASA: each patch
repeats or wraps Rasa 3.6.21's own code and must be re-read before the pin changes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List

logger = logging.getLogger("rasa_patches")

# The Rasa release these patches, and the Rasa internals the extension classes use, were read from.
WRITTEN_FOR_RASA = "3.6.21"


class UnsupportedRasaVersion(RuntimeError):
    """Raised instead of patching a Rasa release these changes were not written for."""


def check_rasa_version(installed: str = "") -> None:
    import rasa

    installed = installed or rasa.__version__
    if installed != WRITTEN_FOR_RASA:
        raise UnsupportedRasaVersion(
            f"refusing to start: this assistant changes Rasa {WRITTEN_FOR_RASA}'s behaviour (rasa_patches) but Rasa "
            f"{installed} is installed; install the pinned set (make install) or re-read each patch against the "
            f"new release before changing WRITTEN_FOR_RASA")


def apply() -> None:
    """Checks the Rasa version, then installs every patch (each at most once)."""
    check_rasa_version()
    install_action_deadline(action_timeout())
    install_response_validator()
    install_strict_tracker_store()
    install_sequential_graph_runner()


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

    from clinic.replies import log_failure, service_problem_text

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
    its validators kept, and each event is checked against the one event schema its "event" names
    (`EventSchemaChecks`) instead of against all 23 of the schema's `oneOf`, which built an error
    for every other kind (38 ms for a session start's events, under profiling). A response refused
    goes through Rasa's own check, for Rasa's own error."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "keeps_its_validator", False):
        return
    rasas_check = RemoteAction._validate_action_result
    kept: Dict[type, EventSchemaChecks] = {}

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        checks = kept.get(type(self))
        if checks is None:
            checks = kept[type(self)] = EventSchemaChecks(self.action_response_format_spec())
        return True if checks.is_valid(result) else rasas_check(self, result)

    validate_action_result.keeps_its_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


class EventSchemaChecks:
    """An action server response's schema, as validators built once. Its events' `oneOf` lists one
    schema per kind of event, each naming its kind as a constant "event": an event can match no other
    than the one its "event" names, so checking that one alone accepts exactly what `oneOf` accepts.
    A schema not shaped so is checked whole."""

    def __init__(self, schema: Dict[str, Any]) -> None:
        from jsonschema import validators

        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        self.whole = validator_class(schema)
        self.by_kind: Dict[str, Any] = {}
        events = schema.get("properties", {}).get("events", {})
        kinds = events.get("items", {}).get("oneOf", [])
        names = [kind.get("properties", {}).get("event", {}).get("const") for kind in kinds]
        if events.get("type") != "array" or not names or not all(isinstance(n, str) for n in names) \
                or len(set(names)) != len(names):
            return
        event_schema = {key: value for key, value in events["items"].items() if key != "oneOf"}
        self.response = validator_class({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})
        self.event = validator_class(event_schema)
        self.by_kind = {name: validator_class(kind) for name, kind in zip(names, kinds)}

    def is_valid(self, result: Any) -> bool:
        if not self.by_kind:
            return self.whole.is_valid(result)
        if not self.response.is_valid(result):
            return False
        for event in result.get("events") or []:
            # The event's own schema first: it makes "event" a string, then its kind's schema.
            if not self.event.is_valid(event):
                return False
            kind = self.by_kind.get(event["event"])
            if kind is None or not kind.is_valid(event):
                return False
        return True


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

    if getattr(FailSafeTrackerStore.save, "is_strict", False):
        return
    save.is_strict = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.save = save  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]


def install_sequential_graph_runner() -> None:
    """DaskGraphRunner.run as `run_in_order`: Rasa's graph, run as dask.get runs it (one thread, each
    node once, after the nodes it needs), with each set of targets' order kept."""
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner.run, "runs_in_order", False):
        return
    run_in_order.runs_in_order = True  # type: ignore[attr-defined]
    run_in_order.replaced = DaskGraphRunner.run  # type: ignore[attr-defined]  (the tests compare the two)
    DaskGraphRunner.run = run_in_order  # type: ignore[method-assign]


def graph_order(schema: Any, targets: List[str]) -> List[str]:
    """The nodes the targets need, each after the nodes it needs (inputs are not nodes)."""
    order: List[str] = []
    placed: set = set()

    def place(name: str, path: tuple) -> None:
        if name in placed or name not in schema.nodes:
            return
        if name in path:
            raise ValueError(f"the graph has a cycle through {name}")
        for needed in schema.nodes[name].needs.values():
            place(needed, path + (name,))
        placed.add(name)
        order.append(name)

    for target in targets:
        place(target, ())
    return order


def run_in_order(self: Any, inputs: Any = None, targets: Any = None) -> Dict[str, Any]:
    """DaskGraphRunner.run without dask: the same clash check of inputs, the same calls and results,
    the same GraphRunError for a RuntimeError."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = list(targets) if targets else self._graph_schema.target_names
    orders = self.__dict__.setdefault("_orders_by_targets", {})
    key = tuple(run_targets)
    if key not in orders:
        orders[key] = graph_order(self._graph_schema, run_targets)
    nodes = self._graph_schema.nodes
    results: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and (value in results or value in orders[key]):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to "
                f"the `run` method are the same as node names in the graph schema.")
        results[name] = (name, value)  # as dask hands an input to the nodes that need it
    try:
        for name in orders[key]:
            if name in results:  # an input given in a node's place replaces it, as in dask's graph
                continue
            results[name] = self._instantiated_nodes[name](*[results[needed] for needed in nodes[name].needs.values()])
        return dict(results[target] for target in run_targets)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


async def local_session_start(output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    """Without the action server a conversation still starts: Rasa's own session start and the
    welcome; the clinic's facts come from the profile (components/response_generator.py)."""
    from rasa.core.actions.action import ActionSessionStart, create_bot_utterance

    events = await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    welcome = await nlg.generate("utter_welcome", tracker, output_channel.name())
    return ([create_bot_utterance(welcome)] if welcome else []) + list(events)
