"""The deployment files cannot be run here (no Docker engine, no Kubernetes), so they are parsed
and checked against each other and against the code: service names, ports, environment
variables, files they copy, pinned images."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import yaml

from tests.support.project import ROOT

DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def docker_endpoints() -> dict:
    return yaml.safe_load((DEPLOY / "endpoints.docker.yml").read_text())


def exposed(service: dict) -> set:
    return {int(str(port).split(":")[-1]) for port in service.get("expose", []) + service.get("ports", [])}


def test_compose_has_every_service_and_two_rasa_servers(compose):
    assert {"rasa", "actions", "postgres", "redis", "nginx"} <= set(compose["services"])
    assert compose["services"]["rasa"]["deploy"]["replicas"] >= 2
    # The action server and the stores are internal: only nginx publishes a port.
    assert [name for name, s in compose["services"].items() if s.get("ports")] == ["nginx"]


def test_rasa_environment_names_the_variables_the_code_reads_and_the_services_that_exist(compose):
    from channels.widget_socketio import ORIGINS_ENV_VAR
    from components.lock_store import LOCK_STORE_URL_ENV
    from components.tracker_store import TRACKER_STORE_URL_ENV

    services = compose["services"]
    env = services["rasa"]["environment"]
    assert {TRACKER_STORE_URL_ENV, LOCK_STORE_URL_ENV, "OUTBOX_DB_URL", ORIGINS_ENV_VAR} <= set(env)
    for variable, service in ((TRACKER_STORE_URL_ENV, "postgres"), ("OUTBOX_DB_URL", "postgres"),
                              (LOCK_STORE_URL_ENV, "redis")):
        url = urlparse(env[variable].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x"))
        assert url.hostname == service and url.port in exposed(services[service]), variable
    assert services["actions"]["environment"]["OUTBOX_DB_URL"] == env["OUTBOX_DB_URL"]


def test_container_endpoints_match_the_compose_services_and_the_local_endpoints(compose, docker_endpoints):
    action = urlparse(docker_endpoints["action_endpoint"]["url"])
    assert action.hostname in compose["services"] and action.port in exposed(compose["services"][action.hostname])
    assert f'"--port", "{action.port}"' in (DEPLOY / "Dockerfile.actions").read_text()
    local = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    for key in ("tracker_store", "lock_store", "nlg"):
        assert docker_endpoints[key]["type"] == local[key]["type"], key


def test_nginx_proxies_the_rasa_servers_with_sticky_websockets(compose):
    conf = (DEPLOY / "nginx.conf").read_text()
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    socketio = credentials["channels.widget_socketio.WidgetSocketIOInput"]
    socket_path = socketio.get("socketio_path", "/socket.io").rstrip("/") + "/"
    upstream = re.search(r"upstream\s+\w+\s*\{([^}]*)\}", conf).group(1)
    host, port = re.search(r"server\s+([\w.-]+):(\d+);", upstream).groups()
    assert host == "rasa" and int(port) in exposed(compose["services"]["rasa"])
    assert "ip_hash;" in upstream
    location = re.search(rf"location\s+{re.escape(socket_path)}\s*\{{([^}}]*)\}}", conf).group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in location and "proxy_http_version 1.1;" in location
    assert re.search(r"location\s+/webhooks/\s*\{", conf)
    mounted = compose["services"]["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / mounted).resolve() == (DEPLOY / "nginx.conf").resolve()


def test_images_are_pinned_and_dockerfiles_copy_files_that_exist(compose):
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), name
    for dockerfile in DEPLOY.glob("Dockerfile.*"):
        text = dockerfile.read_text()
        for line in re.findall(r"^FROM\s+(\S+)", text, re.M):
            assert ":" in line and "latest" not in line, (dockerfile.name, line)
        for sources in re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", text, re.M):
            for source in sources.split():
                assert (ROOT / source).exists(), (dockerfile.name, source)
    rasa_cmd = (DEPLOY / "Dockerfile.rasa").read_text()
    for path in re.findall(r"--(?:endpoints|credentials)\s+([\w./-]+)", rasa_cmd):
        assert (ROOT / path).exists(), path


def test_helm_values_agree_with_the_images_and_the_environment(compose):
    values = yaml.safe_load((DEPLOY / "helm-values.yml").read_text())
    assert values["replicaCount"] >= 2
    assert compose["services"]["rasa"]["image"] == f"{values['image']['name']}:{values['image']['tag']}"
    action_server = values["rasa-action-server"]
    assert compose["services"]["actions"]["image"] == (
        f"{action_server['image']['name']}:{action_server['image']['tag']}")
    names = {entry["name"] for entry in values["extraEnv"]}
    assert {"TRACKER_STORE_URL", "LOCK_STORE_URL", "OUTBOX_DB_URL", "WIDGET_ALLOWED_ORIGINS"} <= names
    args = values["args"]
    assert (ROOT / args[args.index("--endpoints") + 1]).exists()
    assert values["command"] == ["python", "-m", "tools.rasa_server"]


def test_every_variable_compose_needs_is_documented(compose):
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    needed = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert needed <= documented, needed - documented


def channel_variables() -> set:
    """Every variable that switches a messaging channel on or points it at its public webhook."""
    from channels.messaging.registry import CHANNELS

    return {variable for channel in CHANNELS for key, variable in {**channel.required, **channel.optional}.items()
            if key != "api_url"}  # the platforms' API addresses change only in tests


def test_containers_pass_every_messaging_channel_variable(compose):
    values = yaml.safe_load((DEPLOY / "helm-values.yml").read_text())
    rasa_env = compose["services"]["rasa"]["environment"]
    missing_compose = sorted(v for v in channel_variables() if rasa_env.get(v) != "${" + v + ":-}")
    assert not missing_compose, f"docker-compose.yml, service rasa: pass {missing_compose} as ${{VAR:-}}"
    helm_names = {entry["name"] for entry in values["extraEnv"]}
    assert channel_variables() <= helm_names, f"deploy/helm-values.yml: add {channel_variables() - helm_names}"


def test_containers_require_a_clinic_profile_and_refuse_the_demo_by_default(compose):
    from clinic.profile import ALLOW_DEMO_ENV_VAR, PROFILE_ENV_VAR, REQUIRED_ENV_VAR

    for name in ("rasa", "actions"):
        env = compose["services"][name]["environment"]
        assert env[PROFILE_ENV_VAR].startswith("${CLINIC_PROFILE:?"), f"{name}: CLINIC_PROFILE must be required"
        assert env[ALLOW_DEMO_ENV_VAR] == "${ALLOW_DEMO_PROFILE:-false}", name
    assert "demo.yml" not in (ROOT / "docker-compose.yml").read_text()
    for dockerfile in ("Dockerfile.rasa", "Dockerfile.actions"):
        assert re.search(rf"^ENV {REQUIRED_ENV_VAR}=true$", (DEPLOY / dockerfile).read_text(), re.M), dockerfile
    values = yaml.safe_load((DEPLOY / "helm-values.yml").read_text())
    for env in (values["extraEnv"], values["rasa-action-server"]["extraEnv"]):
        settings = {entry["name"]: entry.get("value") for entry in env}
        assert settings[ALLOW_DEMO_ENV_VAR] == "false" and "demo" not in settings[PROFILE_ENV_VAR]


def test_the_staff_console_runs_as_its_own_service_behind_nginx_under_staff(compose):
    staff = compose["services"]["staff"]
    assert staff["image"] == compose["services"]["actions"]["image"]
    command = staff["command"]
    assert command[:3] == ["python", "-m", "staff"] and (ROOT / command[command.index("--endpoints") + 1]).exists()
    port = int(command[command.index("--port") + 1])
    assert port in exposed(staff) and staff["environment"]["STAFF_BASE_PATH"] == "/staff"
    assert {"OUTBOX_DB_URL", "TRACKER_STORE_URL", "CLINIC_PROFILE"} <= set(staff["environment"])
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert f"proxy_pass http://staff:{port}/;" in nginx and "location /staff/ {" in nginx
    helm = yaml.safe_load((DEPLOY / "helm-staff-values.yml").read_text())
    assert helm["command"] == command[:3] and helm["applicationSettings"]["port"] == port
    assert f"{helm['image']['name']}:{helm['image']['tag']}" == staff["image"]
    assert {e["name"]: e.get("value") for e in helm["extraEnv"]}["STAFF_BASE_PATH"] == "/staff"
    # The only pages without a session: the log-in and the health checks (staff/app.py).
    assert helm["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert helm["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_the_delivery_worker_has_helm_values_with_the_compose_command_and_its_probes(compose):
    worker = compose["services"]["delivery"]
    helm = yaml.safe_load((DEPLOY / "helm-delivery-values.yml").read_text())
    assert helm["command"] == worker["command"]
    assert f"{helm['image']['name']}:{helm['image']['tag']}" == worker["image"]
    env = {e["name"]: e for e in helm["extraEnv"]}
    port = int(worker["environment"]["DELIVERY_METRICS_PORT"])
    assert int(env["DELIVERY_METRICS_PORT"]["value"]) == port == helm["applicationSettings"]["port"]
    # Everything the compose service passes that the worker needs to deliver, but the optional tuning.
    tuning = {"SMTP_PORT", "SMTP_STARTTLS", "SMTP_CA_FILE", "STAFF_CONSOLE_URL", "NOTIFY_MAX_AGE_HOURS"}
    assert set(worker["environment"]) - tuning - set(env) == set()
    assert (helm["livenessProbe"]["httpGet"]["path"], helm["readinessProbe"]["httpGet"]["path"]) == ("/healthz",
                                                                                                    "/readyz")
