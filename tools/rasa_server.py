"""`rasa run` with the safety nets a clinic needs; `make run`, `make shell`, the tests and the
benchmarks start the Rasa server through it (`python -m tools.rasa_server run --model ...`, same
arguments as `rasa`).

Before Rasa starts it refuses a missing or demo profile where one is required, applies the changes
to Rasa's behaviour (rasa_patches, which also refuses an unsupported Rasa version), adds the
messaging channels whose variables are set, and turns the HTTP API on exactly when
RASA_AUTH_TOKEN is set (`--enable-api` without a token is refused): without a token, anyone who
can reach the server could read and rewrite every conversation. With RASA_METRICS_PORT set it also
serves /metrics, /healthz and /readyz on that port (clinic/metrics.py), on METRICS_HOST; with
LOG_FORMAT=json its logs are one-line JSON (clinic/logs.py).
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Dict, List, Optional, Sequence

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
    import rasa_patches

    require_clinic_profile()
    try:
        rasa_patches.apply()
    except rasa_patches.UnsupportedRasaVersion as error:
        raise SystemExit(str(error)) from error
    # `rasa shell` chats in the terminal: no HTTP API and no messaging channels to add.
    arguments = list(args) if args[:1] == ["shell"] else with_messaging_channels(api_arguments(args))
    from clinic import logs

    logs.configure()  # LOG_FORMAT=json: every handler, including those Rasa and Sanic set up next
    if args[:1] == ["run"]:
        from channels.rest import assistant_ready
        from clinic import metrics

        metrics.serve("rasa", assistant_ready)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
