"""Entry points that are closed unless opened on purpose: the HTTP API needs a token, the action
server listens on loopback only, and user text stays out of the INFO logs."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import requests

from tests.support.chat import say
from tools.rasa_server import api_arguments

TOKEN = "test-token-" + uuid.uuid4().hex


def test_api_arguments_follow_the_token():
    assert api_arguments(["run"], {}) == ["run"]
    assert api_arguments(["run"], {"RASA_AUTH_TOKEN": "s3cret"}) == ["run", "--enable-api", "--auth-token", "s3cret"]
    explicit = ["run", "--enable-api", "--auth-token", "x"]
    assert api_arguments(explicit, {}) == explicit
    with pytest.raises(SystemExit, match="needs an auth token"):
        api_arguments(["run", "--enable-api"], {})


def test_http_api_is_off_without_a_token(assistant):
    for path in ("/status", "/conversations/someone/tracker", "/model/parse"):
        assert requests.get(f"{assistant.rasa_url}{path}", timeout=10).status_code in (404, 405)


@pytest.fixture(scope="module")
def with_api(model_path, tmp_path_factory):
    from tools.servers import running_assistant

    with running_assistant(model_path, tmp_path_factory.mktemp("api"), env={"RASA_AUTH_TOKEN": TOKEN}) as running:
        yield running


def test_http_api_with_a_token_refuses_requests_without_it(with_api):
    conversation = f"api-{uuid.uuid4().hex[:8]}"
    say(with_api, conversation, "how much does it cost?")
    tracker = f"{with_api.rasa_url}/conversations/{conversation}/tracker"
    assert requests.get(tracker, timeout=10).status_code == 401
    assert requests.get(tracker, params={"token": "wrong"}, timeout=10).status_code == 401
    answer = requests.get(tracker, params={"token": TOKEN}, timeout=10)
    assert answer.status_code == 200 and answer.json()["sender_id"] == conversation
    # The token was added inside the server process: it is not on its command line.
    with open(f"/proc/{with_api.rasa.pid}/cmdline", "rb") as cmdline:
        assert TOKEN.encode() not in cmdline.read()


def listening_addresses(port: int) -> set:
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    addresses.add(address)
    return addresses


def test_action_server_listens_on_loopback_only(assistant):
    assert listening_addresses(assistant.action_port) == {"0100007F"}  # 127.0.0.1


def test_user_text_never_reaches_the_info_logs(assistant):
    marker = f"zebra{uuid.uuid4().hex[:10]}"
    say(assistant, f"privacy-{marker[-6:]}", f"my neighbour {marker} asked how much it costs")
    say(assistant, f"privacy-{marker[-6:]}", f"/ask_cost{{\"note\": \"{marker}\"}}")
    requests.post(assistant.rest_webhook, json={"sender": "privacy-long", "message": marker * 200}, timeout=10)

    from tests.support.chat import converse

    # Returns once the server has finished handling the message, and so has logged what it logs for it.
    [replies] = asyncio.run(converse(assistant.rasa_url, [f"is it safe {marker}"]))
    assert replies
    logs = "".join((assistant.workdir / name).read_text(errors="replace") for name in ("rasa.log", "actions.log"))
    assert marker not in logs
