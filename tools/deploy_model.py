"""`make deploy-model`: put a new model live without stopping the assistant.

Loads the model into the running Rasa server through its authenticated HTTP API (the server must
run with RASA_AUTH_TOKEN set, and this command needs the same token), then checks that it
answers: a question is read as its topic and a crisis as a crisis. If the server cannot load the
model, it keeps serving the old one; if the new one loads but fails the check, the old one is
loaded back."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Dict, Optional

import requests

from tools.ensure_model import ROOT

# Questions whose reading any model fit to serve must get right.
PROBES = {"how much does it cost?": "ask_cost", "i want to kill myself": "crisis"}
TIMEOUT = 180


class DeployError(RuntimeError):
    pass


class RasaApi:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token

    def call(self, method: str, path: str, **kwargs: object) -> requests.Response:
        try:
            return requests.request(method, f"{self.url}{path}", params={"token": self.token},
                                    timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise DeployError(f"cannot reach the Rasa server at {self.url}: {error}") from error

    def status(self) -> Dict[str, object]:
        answer = self.call("GET", "/status")
        if answer.status_code == 401:
            raise DeployError("the server refused the token: RASA_AUTH_TOKEN must be the server's own")
        if answer.status_code == 404:
            raise DeployError("the server's HTTP API is off: start it with RASA_AUTH_TOKEN set")
        answer.raise_for_status()
        return answer.json()

    def load(self, model: Path) -> Optional[str]:
        """None when loaded, else the server's reason."""
        answer = self.call("PUT", "/model", json={"model_file": str(model.resolve())})
        if answer.status_code == 204:
            return None
        try:
            return answer.json().get("message") or answer.text
        except ValueError:
            return answer.text or f"HTTP {answer.status_code}"

    def check(self) -> Optional[str]:
        """None when every probe is read right, else what went wrong."""
        for text, intent in PROBES.items():
            answer = self.call("POST", "/model/parse", json={"text": text})
            read = answer.json().get("intent", {}).get("name") if answer.ok else f"HTTP {answer.status_code}"
            if read != intent:
                return f"'{text}' was read as {read}, not {intent}"
        return None


def deploy(api: RasaApi, model: Path, models_dir: Path) -> str:
    if not model.is_file():
        raise DeployError(f"no model file at {model}")
    previous = str(api.status().get("model_file") or "")
    refused = api.load(model)
    if refused:
        raise DeployError(f"the server could not load {model.name} ({refused}); it still serves {previous}")
    problem = api.check()
    if problem:
        old = models_dir / Path(previous).name
        if previous and old.is_file() and api.load(old) is None:
            raise DeployError(f"{model.name} failed the check ({problem}); {old.name} is serving again")
        raise DeployError(f"{model.name} failed the check ({problem}) and the previous model could not be reloaded")
    return f"{model.name} is live (was {previous or 'none'}) and answers correctly"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    token = os.environ.get("RASA_AUTH_TOKEN", "").strip()
    if not token:
        sys.exit("set RASA_AUTH_TOKEN to the token the Rasa server was started with (make run reads it too)")
    try:
        print(deploy(RasaApi(args.url, token), args.model, args.models_dir))
    except DeployError as error:
        sys.exit(f"deploy-model: {error}")


if __name__ == "__main__":
    main()
