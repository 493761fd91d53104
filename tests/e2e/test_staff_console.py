"""The staff console as a real server over HTTP: nothing without a session, CSRF, log-in limits,
idle expiry, session ids, the audit log, the review queue and the figures at a glance."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from itertools import count
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import sqlalchemy as sa
import yaml

from clinic.outbox import Outbox, request_notice_key
from clinic.profile import DEFAULT_PROFILE, load_profile
from staff.app import Console, ConsoleSettings, local_iso, local_time
from staff.passwords import WeakPassword, check_strength, hash_password, verify_password
from staff.store import SESSION_IDLE_SECONDS, StaffStore, sessions, token_hash
from tests.support.project import ROOT
from tools.servers import HOST, free_port, start_staff_console, stop, wait_until_up, write_endpoints

PASSWORD = "a long staff password"
ALICE, BOB = "alice@clinic.example", "bob@clinic.example"
PATIENT_NAME, PATIENT_PHONE = "Ann Example", "+12025550143"
OLD = 40 * 86400  # seconds ago: older than any figure or review window
_addresses = count(1)


@dataclass
class Client:
    """A browser stand-in: keeps cookies itself (requests would not send Secure ones over HTTP), and
    comes from its own address (the console trusts X-Forwarded-For in these tests, as behind nginx)."""
    base: str
    address: str = field(default_factory=lambda: f"10.0.0.{next(_addresses)}")
    cookies: Dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        headers = {"X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(method, self.base + path, headers=headers, allow_redirects=False,
                                    timeout=30, **kwargs)
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: Dict[str, str], **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return self.request("POST", path, data=data, **kwargs)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def log_in(self, email: str, password: str = PASSWORD, next_path: str = "") -> requests.Response:
        token = self.csrf("/login")
        return self.post("/login", {"email": email, "password": password, "csrf": token, "next": next_path})


@dataclass
class RunningConsole:
    url: str
    outbox: Outbox
    store: StaffStore
    tracker_db: Path
    review_dir: Path
    booking: str
    flag_id: int

    def client(self) -> Client:
        return Client(self.url)

    def logged_in(self, email: str = ALICE) -> Client:
        client = self.client()
        assert client.log_in(email).status_code == 303
        return client


def add_events(tracker_db: Path, rows: List[tuple]) -> None:
    """(sender, seconds ago, event dict) rows into a table shaped like Rasa's `events`."""
    engine = sa.create_engine(f"sqlite:///{tracker_db}")
    metadata = sa.MetaData()
    table = sa.Table("events", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("sender_id", sa.String(255)), sa.Column("type_name", sa.String(255)),
                     sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                     sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))
    metadata.create_all(engine)
    with engine.begin() as connection:
        for sender, ago, event in rows:
            connection.execute(table.insert().values(sender_id=sender, type_name=event["event"],
                                                     timestamp=time.time() - ago, data=json.dumps(event)))
    engine.dispose()


def user(text: str, intent: str, confidence: float) -> dict:
    return {"event": "user", "text": text, "parse_data": {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}, {"name": "ask_cost", "confidence": 0.2}]}}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    work = tmp_path_factory.mktemp("console")
    outbox_url = f"sqlite:///{work / 'outbox.db'}"
    env = {"OUTBOX_DB_URL": outbox_url, "REVIEW_DIR": str(work / "review"), "STAFF_TRUST_PROXY": "1"}
    endpoints = write_endpoints(work / "endpoints.yml", free_port(), work / "tracker.db")
    outbox = Outbox(outbox_url)
    store = StaffStore(outbox)
    for email in (ALICE, BOB):
        store.set_password(email, PASSWORD)
    booking = outbox.add("booking", {"name": PATIENT_NAME, "phone": PATIENT_PHONE, "email": None,
                                     "message": "=HYPERLINK(\"http://evil.example\")",
                                     "conversation_id": "patient-1", "channel": "rest"})["request_id"]
    outbox.flag("patient-2", "socketio", "crisis", "rule")
    outbox.add("cancel", {"name": PATIENT_NAME, "phone": PATIENT_PHONE, "email": None,
                          "message": "the one on friday at 3pm", "conversation_id": "patient-4", "channel": "rest"})
    add_events(work / "tracker.db", [
        ("patient-1", 120, {"event": "session_started"}),
        ("patient-1", 110, user("how much is it", "ask_cost", 0.93)),
        ("patient-1", 100, {"event": "bot", "text": "It depends on the clinic.", "data": {}}),
        ("patient-1", 90, {"event": "active_loop", "name": "booking_form"}),
        ("patient-1", 80, user(PATIENT_NAME, "inform", 0.9)),
        ("patient-1", 70, {"event": "active_loop", "name": None}),
        ("patient-3", 60, user("flibber the wozzle", "nlu_fallback", 0.2)),
        ("patient-3", 50, user("is it like [special](k)", "ask_mechanism", 0.31)),
        ("patient-2", 40, user("i took all my pills and i am scared now please", "crisis", 1.0)),
        # Older than the figures' week and the review's month: buttons pressed.
        ("patient-5", OLD, {"event": "bot", "text": "Send it?", "data": {"buttons": [
            {"title": "Yes, send it", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]}}),
        ("patient-5", OLD - 10, user("/affirm", "affirm", 1.0)),
        ("patient-5", OLD - 20, user("/ask_cost", "ask_cost", 1.0)),
    ])
    port = free_port()
    with open(work / "console.log", "ab") as log:
        process = start_staff_console(port, endpoints, log, env)
        try:
            wait_until_up(f"http://{HOST}:{port}/login", process, timeout=60)
            yield RunningConsole(f"http://{HOST}:{port}", outbox, store, work / "tracker.db", work / "review",
                                 booking, outbox.flags()[0]["id"])
        finally:
            stop(process)


def every_route(console: RunningConsole) -> List[tuple]:
    """Every (method, path) the console serves, read from its router, with sample values filled in."""
    settings = ConsoleSettings(tracker_url=f"sqlite:///{console.tracker_db}", review_dir=console.review_dir,
                               timezone="America/New_York")
    samples = {"reference": console.booking, "flag_id": str(console.flag_id), "conversation_id": "patient-1"}
    routes = []
    for route in Console(settings, console.outbox).application().router.routes():
        path = route.resource.canonical
        for name, value in samples.items():
            path = path.replace("{" + name + "}", value)
        routes.append((route.method, path))
    return routes


# --- without a session ------------------------------------------------------------------------

def test_nothing_answers_without_a_session(console: RunningConsole) -> None:
    # The health checks answer without a session, and say nothing of anyone (staff/app.py).
    for path in ("/healthz", "/readyz"):
        response = console.client().get(path)
        assert response.status_code == 200 and len(response.text) < 20, (path, response.text)
    routes = [r for r in every_route(console) if r[1] not in ("/login", "/healthz", "/readyz")]
    assert len(routes) >= 15, routes
    for method, path in routes:
        response = console.client().request(method, path, data={"csrf": "x", "status": "booked"})
        if method in ("GET", "HEAD") and not path.endswith(".csv"):
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, path)
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        assert PATIENT_NAME not in response.text and PATIENT_PHONE not in response.text
    assert console.store.status_history().get(console.booking) is None


def test_every_page_answers_with_a_session(console: RunningConsole) -> None:
    client = console.logged_in()
    pages = [path for method, path in every_route(console) if method == "GET" and path not in ("/", "/login")]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    inbox = client.get("/requests").text
    assert console.booking in inbox and "1 crisis flag(s) waiting for follow-up" in inbox


def test_the_inbox_shows_who_to_reach_and_how_and_finds_them_by_name_or_phone(console: RunningConsole) -> None:
    client = console.logged_in()
    inbox = client.get("/requests").text
    # The phone as the clinic's country writes it, as a link to call.
    assert PATIENT_NAME in inbox and f'<a href="tel:{PATIENT_PHONE}">(202) 555-0143</a>' in inbox
    assert f'<a href="tel:{PATIENT_PHONE}">(202) 555-0143</a>' in client.get(f"/requests/{console.booking}").text
    for search in ("ann example", "Example", "0143", "(202) 555-0143", "202.555.0143", console.booking.lower()):
        found = client.get("/requests", params={"q": search}).text
        assert console.booking in found, search
    nobody = client.get("/requests", params={"q": "Maria Lopez"}).text
    assert console.booking not in nobody and "0 request(s)" in nobody
    assert console.booking not in client.get("/requests", params={"q": "9999"}).text


def test_the_crisis_box_shows_the_latest_flags_with_the_patients_words_and_never_all_of_them(
        console: RunningConsole) -> None:
    client = console.logged_in()
    box = client.get("/requests").text.split('<section class="crisis"', 1)[1].split("</section>", 1)[0]
    assert box.count("<li>") == 1 and "All crisis flags" in box
    assert "i took all my pills and i am scared now please" in box and "no contact left" in box
    # The flag's own page leads with the patient's words and how to reach them.
    flag_page = client.get(f"/flags/{console.flag_id}").text
    main = flag_page.split('<main id="main"', 1)[1]
    assert main.index("i took all my pills") < main.index("How to reach them: no contact left") < main.index("Raised")
    extra = [console.outbox.flag(f"patient-extra-{n}", "rest", "crisis", "rule") for n in range(6)]
    try:
        box = client.get("/requests").text.split('<section class="crisis"', 1)[1].split("</section>", 1)[0]
        assert box.count("<li>") == 5 and "All 7 open flags" in box
        assert f"Crisis flag {extra[-1]}" in box and f"Crisis flag {console.flag_id}<" not in box
    finally:
        for flag_id in extra:
            console.store.record_follow_up(flag_id, "test flag closed", ALICE)


def test_times_are_the_clinics_with_its_zone_named_and_the_csv_carries_the_offset(console: RunningConsole) -> None:
    client = console.logged_in()
    zone = load_profile(DEFAULT_PROFILE).timezone
    [stored] = [r for r in console.outbox.requests() if r["request_id"] == console.booking]
    shown = local_time(stored["created_at"], zone)
    assert re.search(r" [A-Z]{3,4}$|[+-]\d\d$", shown), shown  # the zone is named
    for page in (client.get("/requests").text, client.get(f"/requests/{console.booking}").text):
        assert shown in page and stored["created_at"] not in page
    [row] = [r for r in csv.DictReader(io.StringIO(client.get("/requests.csv").text))
             if r["reference"] == console.booking]
    assert row["received"] == local_iso(stored["created_at"], zone) and re.search(r"[+-]\d\d:\d\d$", row["received"])
    transcript = client.get("/conversations/patient-1").text
    assert "UTC</td>" not in transcript and re.search(r"\d\d:\d\d [A-Z]{3,4}</td>", transcript)


def test_the_inbox_keeps_itself_current_by_its_own_script_and_titles_count_new_work(console: RunningConsole) -> None:
    client = console.logged_in()
    inbox = client.get("/requests")
    history = console.store.status_history()
    waiting = len([r for r in console.outbox.requests()
                   if (history.get(r["request_id"]) or [{"status": "new"}])[-1]["status"] == "new"])
    waiting += len([f for f in console.outbox.flags() if f["id"] not in console.store.follow_ups()])
    assert re.search(rf"<title>\({waiting}\) Requests · Staff console</title>", inbox.text), inbox.text[:400]
    assert 'data-refresh="60"' in inbox.text or "data-refresh=60" in inbox.text
    [script] = re.findall(r"<script>(.*?)</script>", inbox.text, re.S)
    digest = "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src '{digest}'" in inbox.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in inbox.headers["Content-Security-Policy"]
    # A search's results stay as they are; every page's title counts the new work.
    searched = client.get("/requests", params={"q": "ann"}).text
    assert "<script>" not in searched and "data-refresh" not in searched
    assert f"<title>({waiting}) Crisis flags" in client.get("/flags").text


def test_a_cancellation_request_shows_with_its_kind(console: RunningConsole) -> None:
    client = console.logged_in()
    [cancel] = [r["request_id"] for r in console.outbox.requests() if r["kind"] == "cancel"]
    assert cancel.startswith("CX-")
    listed = client.get("/requests", params={"kind": "cancel"}).text
    assert cancel in listed and "cancellation" in listed and console.booking not in listed
    assert cancel not in client.get("/requests", params={"kind": "booking"}).text
    assert "cancellation received" in client.get(f"/requests/{cancel}").text


def test_the_session_cookie_is_secure_http_only_and_same_site(console: RunningConsole) -> None:
    client = console.client()
    response = client.log_in(ALICE)
    cookie = next(h for h in response.raw.headers.getlist("Set-Cookie") if h.startswith("staff_session="))
    assert all(flag in cookie for flag in ("HttpOnly", "Secure", "SameSite=Strict")), cookie
    assert console.store.session(client.cookies["staff_session"]).email == ALICE
    # Only a hash of it is stored.
    with console.store.engine.connect() as connection:
        stored = connection.execute(sa.select(sessions.c.token_hash)).scalars().all()
    assert client.cookies["staff_session"] not in stored and token_hash(client.cookies["staff_session"]) in stored


# --- CSRF --------------------------------------------------------------------------------------

def test_a_forged_csrf_token_is_refused_and_changes_nothing(console: RunningConsole) -> None:
    alice, bob = console.logged_in(ALICE), console.logged_in(BOB)
    bobs_token = bob.csrf("/requests")
    before = console.store.status_history().get(console.booking, [])
    for token in ("", "forged", bobs_token):  # none, made up, and a real one of another session
        response = alice.post(f"/requests/{console.booking}/status", {"status": "closed", "csrf": token})
        assert response.status_code == 403, token
    assert console.store.status_history().get(console.booking, []) == before
    # The log-in form is protected too: a post without the cookie's token is refused.
    stranger = console.client()
    response = stranger.post("/login", {"email": ALICE, "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403 and "staff_session" not in stranger.cookies
    # With the right token the same change goes through.
    token = alice.csrf(f"/requests/{console.booking}")
    assert alice.post(f"/requests/{console.booking}/status", {"status": "contacted", "csrf": token}).status_code == 303
    assert console.store.status_history()[console.booking][-1]["changed_by"] == ALICE


# --- log-in limits -----------------------------------------------------------------------------

def test_six_wrong_passwords_make_the_account_wait(console: RunningConsole) -> None:
    email = "carol@clinic.example"
    console.store.set_password(email, PASSWORD)
    attempts = [console.client().log_in(email, "wrong password!") for _ in range(6)]  # six addresses
    assert [a.status_code for a in attempts] == [401] * 5 + [429]
    assert "Too many failed log-ins. Try again in 15 minute(s)." in attempts[-1].text
    assert "Wrong e-mail address or password." in attempts[0].text
    # Even the right password waits now, from anywhere.
    assert console.client().log_in(email).status_code == 429
    # Another account is not affected.
    assert console.client().log_in(BOB).status_code == 303


def test_five_failures_from_one_address_make_that_address_wait(console: RunningConsole) -> None:
    client = console.client()
    for n in range(5):
        assert client.log_in(f"nobody{n}@clinic.example", "wrong password!").status_code == 401
    assert client.log_in(ALICE).status_code == 429
    assert console.client().log_in(ALICE).status_code == 303  # from another address


def test_the_wait_ends_after_the_window(tmp_path: Path) -> None:
    store = StaffStore(Outbox(f"sqlite:///{tmp_path / 'outbox.db'}"))
    store.set_password(ALICE, PASSWORD)
    start = 1_000_000.0
    for n in range(5):
        with pytest.raises(Exception, match="Wrong"):
            store.log_in(ALICE, "wrong password!", "10.1.1.1", now=start + n)
    with pytest.raises(Exception, match="Too many"):
        store.log_in(ALICE, PASSWORD, "10.1.1.2", now=start + 60)
    assert store.log_in(ALICE, PASSWORD, "10.1.1.2", now=start + 15 * 60 + 1)


# --- sessions ----------------------------------------------------------------------------------

def test_a_session_expires_after_eight_idle_hours(console: RunningConsole) -> None:
    client = console.logged_in()
    key = token_hash(client.cookies["staff_session"])

    def idle_for(seconds: float) -> None:
        with console.store.engine.begin() as connection:
            connection.execute(sa.update(sessions).where(sessions.c.token_hash == key)
                               .values(last_seen=time.time() - seconds))

    idle_for(SESSION_IDLE_SECONDS - 60)
    assert client.get("/requests").status_code == 200  # still alive, and renewed by that request
    idle_for(SESSION_IDLE_SECONDS + 1)
    response = client.get("/requests")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert client.post("/logout", {"csrf": "x"}).status_code == 401
    with console.store.engine.connect() as connection:
        assert connection.execute(sa.select(sessions).where(sessions.c.token_hash == key)).first() is None


def test_session_ids_cannot_be_planted_reused_or_made_up(console: RunningConsole) -> None:
    bob = console.logged_in(BOB)
    bobs_id = bob.cookies["staff_session"]
    # Planted: a session id set before the log-in is replaced by a new one, and opens nothing.
    alice = console.client()
    alice.cookies["staff_session"] = "planted-by-someone-else-0123456789"
    assert alice.log_in(ALICE).status_code == 303
    assert alice.cookies["staff_session"] not in ("planted-by-someone-else-0123456789", bobs_id)
    assert "alice@" in alice.get("/requests").text and "bob@" not in alice.get("/requests").text
    # Made up, or changed by one character: refused.
    for made_up in ("0" * 43, bobs_id[:-1] + ("A" if bobs_id[-1] != "A" else "B")):
        intruder = console.client()
        intruder.cookies["staff_session"] = made_up
        assert intruder.get("/requests").status_code == 303
    # Bob's id serves Bob only while Bob is logged in; after his log-out nobody can use it.
    assert bob.get("/requests").status_code == 200
    assert bob.post("/logout", {"csrf": bob.csrf("/requests")}).status_code == 303
    replay = console.client()
    replay.cookies["staff_session"] = bobs_id
    assert replay.get("/requests").status_code == 303


def test_after_log_in_only_a_path_of_the_console_is_followed(console: RunningConsole) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/glance"):
        response = console.client().log_in(ALICE, next_path=target)
        assert response.headers["Location"] == ("/glance" if target == "/glance" else "/requests"), target


# --- audit, export, review, figures ------------------------------------------------------------

def test_a_transcript_shows_buttons_pressed_in_words_and_readings_only_when_asked(console: RunningConsole) -> None:
    client = console.logged_in()
    plain = client.get("/conversations/patient-5").text
    assert "[pressed “Yes, send it”]" in plain and "[pressed “Cost”]" in plain and "/affirm" not in plain
    assert "read as" not in plain and "Show details" in plain
    detailed = client.get("/conversations/patient-5", params={"details": "1"}).text
    assert "read as affirm (1.00)" in detailed and "Hide details" in detailed


def test_transcript_reads_and_status_changes_are_audited(console: RunningConsole) -> None:
    client = console.logged_in(BOB)
    transcript = client.get("/conversations/patient-1").text
    assert "how much is it" in transcript and "It depends on the clinic." in transcript
    assert "booking form started" in transcript
    token = client.csrf(f"/requests/{console.booking}")
    client.post(f"/requests/{console.booking}/status", {"status": "booked", "csrf": token})
    entries = [(e["email"], e["action"], e["target"]) for e in console.store.audit_log()]
    assert (BOB, "read transcript", "patient-1") in entries
    assert (BOB, "change status", console.booking) in entries
    assert "booked" in client.get(f"/requests/{console.booking}").text


def test_csv_export_is_audited_and_formula_safe(console: RunningConsole) -> None:
    client = console.logged_in()
    response = client.get("/requests.csv", params={"q": console.booking.lower()})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == [console.booking]
    assert rows[0]["name"] == PATIENT_NAME and rows[0]["message"].startswith("'=")
    assert (ALICE, "export requests") in [(e["email"], e["action"]) for e in console.store.audit_log()]


def test_a_crisis_flag_stays_on_top_until_its_follow_up_is_recorded(console: RunningConsole) -> None:
    client = console.logged_in()
    assert "crisis flag(s) waiting for follow-up" in client.get("/requests").text
    path = f"/flags/{console.flag_id}/follow-up"
    assert client.post(path, {"csrf": client.csrf(f"/flags/{console.flag_id}"), "note": "  "}).status_code == 400
    assert client.post(path, {"csrf": client.csrf(f"/flags/{console.flag_id}"),
                              "note": "Called back, safe, with family"}).status_code == 303
    assert "waiting for follow-up" not in client.get("/requests").text
    assert "Called back, safe, with family" in client.get(f"/flags/{console.flag_id}").text


def test_a_review_label_is_written_as_training_data(console: RunningConsole) -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    client = console.logged_in()
    queue = client.get("/review").text
    assert "flibber the wozzle" in queue and "guessed: Cost" in queue
    # The choices are plain titles; the value sent (and stored) is the intent's name; no file path shows.
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', queue))
    assert options["bot_challenge"] == "Is this a bot?" and options["ask_cost"] == "Cost"
    assert options["ask_personal_medical"] == "A personal medical question"
    assert all("_" not in title and "/" not in title for title in options.values()), options
    assert "labelled.yml" not in queue and "data/nlu" not in queue
    token = client.csrf("/review")
    assert client.post("/review/label", {"csrf": token, "text": "flibber the wozzle",
                                         "intent": "not_an_intent"}).status_code == 400
    for text, intent in (("flibber the wozzle", "out_of_scope"), ("is it like [special](k)", "ask_mechanism")):
        assert client.post("/review/label", {"csrf": token, "text": text, "intent": intent}).status_code == 303
    written = console.review_dir / "labelled.yml"
    examples = {(m.get("intent"), m.get("text")) for m in RasaYAMLReader().read(written).intent_examples}
    assert ("out_of_scope", "flibber the wozzle") in examples
    assert ("ask_mechanism", "is it like [special] - (k)") in examples  # no entity markup slips in
    assert RasaYAMLReader().read(written).entity_examples == []
    assert "flibber the wozzle" not in client.get("/review").text
    assert yaml.safe_load(written.read_text())["version"] == "3.1"


def test_the_figures_at_a_glance_match_the_store(console: RunningConsole) -> None:
    page = console.logged_in().get("/glance", params={"days": "7"}).text
    assert page.count("<svg") == 5
    # Five messages: one not understood and one read with low confidence (2 of 5); the patient's
    # name, typed inside the booking form, is a message but never "not understood"; a crisis is understood.
    assert "5 message(s); 40.0% not understood." in page
    topics = page[page.index("<figcaption>Top topics"):page.index("<figcaption>Messages not understood")]
    assert "<td>Cost</td><td>1</td>" in topics and "How does it work" not in topics
    conversations = page[page.index("<figcaption>Conversations per day"):page.index("<figcaption>Top topics")]
    assert sum(int(n) for n in re.findall(r"<td>\d{4}-\d\d-\d\d</td><td>(\d+)</td>", conversations)) == 3
    assert "<td>booking started</td><td>1</td>" in page and "<td>booking confirmed</td><td>1</td>" in page
    assert "<td>clinic told (webhook or e-mail)</td><td>0</td>" in page
    # Once the clinic has been told, by e-mail here, the inbox says how and the funnel counts it.
    console.outbox.mark_notice_sent(request_notice_key(console.booking))
    client = console.logged_in()
    assert "<td>e-mail</td>" in client.get("/requests").text
    assert "<td>clinic told (webhook or e-mail)</td><td>1</td>" in client.get("/glance", params={"days": "7"}).text
    # Requests per day (both fixtures' requests came today), and how soon the desk first handled them.
    requests = page[page.index("<figcaption>Requests per day"):page.index("<figcaption>Conversations per day")]
    assert sum(int(n) for n in re.findall(r"<td>\d{4}-\d\d-\d\d</td><td>(\d+)</td>", requests)) == 2
    assert re.search(r"Median time from a request to its first contact: <strong>\d+ min</strong> "
                     r"\(\d request\(s\) reached; \d not reached yet\)", page), page
    assert "Days are the clinic's, in America/New_York." in page
    # The funnel's longest label is drawn whole.
    assert ">clinic told (webhook or e-mail)</text>" in page


def test_a_request_gets_notes_an_owner_and_counted_attempts_each_audited(console: RunningConsole) -> None:
    reference = console.outbox.add("callback", {"name": "Cy Notes", "phone": "+12025550199", "email": None,
                                                "conversation_id": "patient-6", "channel": "rest"})["request_id"]
    path = f"/requests/{reference}"
    alice = console.logged_in()
    page = alice.get(path).text
    assert '<option value="" selected>nobody</option>' in page and f'<option value="{BOB}">' in page
    assert 'maxlength="2000"' in page and "No notes yet." in page
    # Every form needs this session's token; a note must say something, in at most 2000 characters.
    assert alice.post(f"{path}/notes", {"csrf": "forged", "note": "x"}).status_code == 403
    for note in ("   ", "x" * 2001):
        assert alice.post(f"{path}/notes", {"csrf": alice.csrf(path), "note": note}).status_code == 400
    assert alice.post("/requests/BK-NONE-NONE/notes", {"csrf": alice.csrf(path), "note": "x"}).status_code == 404
    for note in ("Rang, voicemail full.", "<script>alert(1)</script> asked to call after 3pm"):
        assert alice.post(f"{path}/notes", {"csrf": alice.csrf(path), "note": note}).status_code == 303
    for _ in range(2):
        assert alice.post(f"{path}/status", {"csrf": alice.csrf(path), "status": "tried, no answer"}).status_code == 303
    assert alice.post(f"{path}/owner", {"csrf": alice.csrf(path), "owner": "x@evil.example"}).status_code == 400
    response = alice.post(f"{path}/owner", {"csrf": alice.csrf(path), "owner": BOB})
    assert response.status_code == 303 and response.headers["Location"] == f"{path}?saved=owner"
    page = alice.get(path + "?saved=owner").text
    assert "Owner saved." in page and f"assigned to <strong>{BOB}</strong>" in page
    assert "status <strong>tried, no answer (2)</strong>" in page
    # Notes newest first, escaped, with who wrote them and when, in the clinic's time.
    notes = page[page.index("<h2>Notes</h2>"):page.index("<h2>Details</h2>")]
    assert notes.index("&lt;script&gt;alert(1)&lt;/script&gt;") < notes.index("Rang, voicemail full.")
    assert "<script>alert" not in page
    assert re.search(rf"<td>{ALICE}</td><td>\w{{3}} \d+ \w{{3}} \d{{4}}, \d\d:\d\d [A-Z]{{3,4}}</td>", notes)
    # The inbox and the CSV show the owner and the attempts.
    row = alice.get("/requests", params={"q": reference}).text.split(f">{reference}</a>", 1)[1].split("</tr>")[0]
    assert "<td>tried, no answer (2)</td><td>bob@clinic.example</td>" in row
    [exported] = list(csv.DictReader(io.StringIO(alice.get("/requests.csv", params={"q": reference}).text)))
    assert (exported["attempts"], exported["assigned_to"], exported["status"]) == ("2", BOB, "tried, no answer")
    assert alice.post(f"{path}/owner", {"csrf": alice.csrf(path), "owner": ""}).status_code == 303
    assert "assigned to <strong>nobody</strong>" in alice.get(path).text
    entries = [(e["email"], e["action"], e["target"], e["detail"]) for e in console.store.audit_log()]
    for entry in [(ALICE, "add note", reference, "Rang, voicemail full."),
                  (ALICE, "change status", reference, "tried, no answer (attempt 1)"),
                  (ALICE, "change status", reference, "tried, no answer (attempt 2)"),
                  (ALICE, "assign request", reference, BOB), (ALICE, "assign request", reference, "nobody")]:
        assert entry in entries, entry


def test_notes_owners_and_attempts_on_postgresql() -> None:
    """The same tables on a real PostgreSQL server, made there by the store itself."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        outbox = Outbox(url)
        store = StaffStore(outbox)
        store.set_password(ALICE, PASSWORD)
        reference = outbox.add("booking", {"name": "Zoë O'Brien", "phone": PATIENT_PHONE})["request_id"]
        store.add_note(reference, "Zoë asked for a call after 3pm", ALICE)
        store.assign(reference, ALICE, ALICE)
        for status in ("tried, no answer", "tried, no answer", "contacted"):
            store.set_status(reference, status, ALICE)
        again = StaffStore(Outbox(url))  # a second start finds its tables and keeps what they hold
        assert again.notes(reference)[reference][0]["note"] == "Zoë asked for a call after 3pm"
        assert again.owners() == {reference: ALICE}
        assert [c["status"] for c in again.status_history()[reference]].count("tried, no answer") == 2
        assert "tried, no answer (attempt 2)" in [e["detail"] for e in again.audit_log()]
        for made in (outbox, again.outbox):
            made.engine.dispose()


# --- passwords ---------------------------------------------------------------------------------

def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and first != second and PASSWORD not in first
    assert verify_password(PASSWORD, first) and not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, "garbage") and not verify_password(PASSWORD, "md5$x$y$z$a$b")
    with pytest.raises(WeakPassword):
        check_strength("short")
    with pytest.raises(WeakPassword):
        check_strength(ALICE, ALICE)


def test_behind_a_proxy_under_a_path_every_link_and_cookie_keeps_the_path(console: RunningConsole,
                                                                           tmp_path: Path) -> None:
    """As nginx serves it (deploy/nginx.conf): /staff/x reaches the console as /x."""
    port = free_port()
    env = {"OUTBOX_DB_URL": console.outbox.url, "REVIEW_DIR": str(tmp_path), "STAFF_BASE_PATH": "/staff/"}
    endpoints = write_endpoints(tmp_path / "endpoints.yml", free_port(), console.tracker_db)
    with open(tmp_path / "console.log", "ab") as log:
        process = start_staff_console(port, endpoints, log, env)
        try:
            wait_until_up(f"http://{HOST}:{port}/login", process, timeout=60)
            client = Client(f"http://{HOST}:{port}")
            assert client.get("/requests").headers["Location"] == "/staff/login?next=%2Frequests"
            login_page = client.get("/login")
            assert 'action="/staff/login"' in login_page.text
            assert "Path=/staff" in login_page.headers["Set-Cookie"]
            response = client.log_in(ALICE, next_path="/requests")
            assert response.headers["Location"] == "/staff/requests"
            inbox = client.get("/requests").text
            hrefs = re.findall(r'(?:href|action)="([^"]+)"', inbox)
            # Every link of the console's own stays under its path; tel: and mailto: reach patients.
            assert hrefs and all(h.startswith("/staff/") for h in hrefs
                                 if h != "#main" and not h.startswith(("tel:", "mailto:"))), hrefs
        finally:
            stop(process)


def make_staff_user(tmp_path: Path, email: str, answers: str) -> "subprocess.CompletedProcess[str]":
    # A new session has no terminal, so the password prompts read the answers from stdin.
    return subprocess.run(["make", "--no-print-directory", "staff-user", f"EMAIL={email}"], cwd=ROOT, input=answers,
                          capture_output=True, text=True, timeout=120, start_new_session=True,
                          env={**os.environ, "OUTBOX_DB_URL": f"sqlite:///{tmp_path / 'outbox.db'}"})


def test_make_staff_user_asks_twice_and_refuses_weak_or_different_passwords(tmp_path: Path) -> None:
    store = lambda: StaffStore(Outbox(f"sqlite:///{tmp_path / 'outbox.db'}"))  # noqa: E731
    refused = make_staff_user(tmp_path, "Dana@Clinic.example", "short\nshort\nlong enough password\nother one\n"
                                                               "long enough password\ndifferent again\n")
    assert refused.returncode != 0 and "no password set" in refused.stderr
    assert "Too weak: use at least 12 characters." in refused.stderr
    assert "The two passwords differ" in refused.stderr
    created = make_staff_user(tmp_path, "Dana@Clinic.example", "long enough password\nlong enough password\n")
    assert created.returncode == 0 and "created the staff account dana@clinic.example" in created.stdout
    assert store().log_in("dana@clinic.example", "long enough password", "10.2.0.1")
    # Setting it again changes the password and ends the sessions opened with the old one.
    token = store().log_in("dana@clinic.example", "long enough password", "10.2.0.1")
    changed = make_staff_user(tmp_path, "dana@clinic.example", "a new long password\na new long password\n")
    assert changed.returncode == 0 and "updated the staff account" in changed.stdout
    assert store().session(token) is None
    with pytest.raises(Exception, match="Wrong"):
        store().log_in("dana@clinic.example", "long enough password", "10.2.0.1")
    assert make_staff_user(tmp_path, "not-an-address", "").returncode != 0


def test_the_inbox_lists_newest_first_marks_unhandled_requests_and_links_an_email(console: RunningConsole) -> None:
    # Added last, so that the requests above stay as they were for the tests before this one.
    older = console.outbox.add("callback", {"name": "Eve Older", "phone": None, "email": "eve@patient.example",
                                            "conversation_id": "patient-6", "channel": "rest"})["request_id"]
    time.sleep(1.1)  # times are stored to the second
    newer = console.outbox.add("callback", {"name": "Finn Newer", "phone": None, "email": "finn@patient.example",
                                            "conversation_id": "patient-7", "channel": "rest"})["request_id"]
    console.store.set_status(older, "contacted", ALICE)
    inbox = console.logged_in().get("/requests").text
    assert inbox.index(newer) < inbox.index(older) < inbox.index(console.booking)
    rows = {reference: inbox[inbox.index(reference):].split("</tr>", 1)[0] for reference in (older, newer)}
    assert "<strong>new</strong>" in rows[newer] and "<strong>" not in rows[older]
    assert '<a href="mailto:finn@patient.example">finn@patient.example</a>' in rows[newer]
