"""Custom actions of the clinic assistant, one module per concern.

With ACTIONS_METRICS_PORT set, the action server also serves /metrics (the booking funnel, "did you
mean"), /healthz and /readyz (ready while the outbox answers) on METRICS_HOST (clinic/metrics.py).
Each action runs with the trace id of the message it answers (its metadata's `trace_id`, given by
the channel), in the logs and in a stored request; LOG_FORMAT=json makes the logs one-line JSON
(clinic/logs.py)."""

from typing import Any, Dict, Optional, Tuple

from rasa_sdk.executor import ActionExecutor

from clinic import logs, metrics


def _ready() -> Tuple[bool, str]:
    from actions.forms import outbox

    return outbox().reachable()


def _traced_run(run: Any) -> Any:
    """ActionExecutor.run (the SDK's entry for every action call) inside the message's trace id."""

    async def traced_run(self: ActionExecutor, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        latest = ((action_call or {}).get("tracker") or {}).get("latest_message") or {}
        with logs.traced(logs.trace_id_of(latest.get("metadata"))):
            return await run(self, action_call)

    traced_run.traced = True  # type: ignore[attr-defined]
    return traced_run


if not getattr(ActionExecutor.run, "traced", False):
    ActionExecutor.run = _traced_run(ActionExecutor.run)  # type: ignore[method-assign]
logs.configure()
metrics.serve("actions", _ready)
