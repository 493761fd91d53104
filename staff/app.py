"""The staff console's web server (aiohttp). Every route but the log-in form needs a session:
pages redirect to the log-in, anything else answers 401. Every form carries the session's CSRF
token; transcript reads, exports, status changes, notes and assignments are written to the audit log.

/healthz (alive) and /readyz (its database answers) need no session. With STAFF_METRICS_PORT set,
/metrics (refused log-ins, what waits in the outbox, open crisis flags) is served on METRICS_HOST.

Run: python -m staff [--port 8081] (started by `make run`)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import hmac
import io
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from html import escape
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Tuple
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import yaml
from aiohttp import web

from clinic import logs, metrics
from clinic.parsing import display_phone
from clinic.profile import chosen_profile, is_on
from clinic.outbox import DELIVERED, REQUEST_KINDS, SENT, Outbox
from clinic.topics import TOPIC_TITLES, plain_title
from staff import insights
from staff.pages import SCRIPT_HASH, STYLE_HASH, bar_chart, csrf_field, link, message, page, select, table
from staff.store import MAX_NOTE_LENGTH, NO_ANSWER, STATUSES, LoginRefused, Session, StaffStore, text_key
from tools.review import nlu_yaml
from tools.tracker_db import ROOT, tracker_db_url

SESSION_COOKIE = "staff_session"
LOGIN_CSRF_COOKIE = "staff_login_csrf"
DEFAULT_PORT = 8081
REVIEW_FILE = "labelled.yml"
REVIEW_DAYS = 30
NOT_LABELLED = {"nlu_fallback"}
DEFAULT_REFRESH_SECONDS = 60
# A request's details on its page, in order: (payload key, label).
DETAILS = (("name", "Name"), ("phone", "Phone"), ("email", "E-mail"), ("preferred_time_text", "Preferred time"),
           ("preferred_time", "Preferred time (read as)"), ("reason", "Reason"), ("insurance", "Insurance"),
           ("message", "Message"), ("channel", "Channel"))
# The open crisis flags the inbox shows above the requests, newest first; the rest are a link away.
# A flag's page quotes this many words of what the patient last wrote (the transcript has the rest).
FLAG_PAGE_WORDS = 80
FLAGS_IN_INBOX = 5
# What a request's page says after each of its forms.
SAVED = {"status": "Status saved.", "note": "Note added.", "owner": "Owner saved."}
# A search made only of digits and the signs numbers are written with: a phone number, or its end.
PHONE_QUERY = re.compile(r"^[\d\s()+.\-/]+$")
PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"), ("GET", "/readyz")}
SECURITY_HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src '{STYLE_HASH}'; script-src '{SCRIPT_HASH}'; "
                                "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ConsoleSettings:
    tracker_url: object
    review_dir: Path
    timezone: str
    base_path: str = ""
    trust_proxy: bool = False
    # Where the clinic's patients' numbers are from: they are shown as written there.
    phone_region: str = "US"
    # The unfiltered inbox brings itself up to date this often (seconds); 0 never.
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS

    @classmethod
    def from_environment(cls, endpoints: Path, environ: Optional[Dict[str, str]] = None) -> "ConsoleSettings":
        environ = os.environ if environ is None else environ
        review_dir = Path(environ.get("REVIEW_DIR", "").strip() or ROOT / "data" / "nlu" / "review")
        return cls(
            tracker_url=tracker_db_url(endpoints),
            review_dir=review_dir if review_dir.is_absolute() else ROOT / review_dir,
            timezone=chosen_profile(environ).timezone,
            phone_region=chosen_profile(environ).phone_region,
            refresh_seconds=int(environ.get("STAFF_REFRESH_SECONDS", "").strip() or DEFAULT_REFRESH_SECONDS),
            base_path=environ.get("STAFF_BASE_PATH", "").strip().rstrip("/"),
            trust_proxy=is_on(environ, "STAFF_TRUST_PROXY"),
        )


def intents_to_label() -> List[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [name for name in domain.get("intents", []) if isinstance(name, str) and name not in NOT_LABELLED]


class Console:
    def __init__(self, settings: ConsoleSettings, outbox: Outbox) -> None:
        self.settings = settings
        self.outbox = outbox
        self.store = StaffStore(outbox)
        self.intents = intents_to_label()

    # --- plumbing ----------------------------------------------------------------------------

    def local(self, stamp: object) -> str:
        return local_time(stamp, self.settings.timezone)

    def url(self, path: str, **query: str) -> str:
        shown = {k: v for k, v in query.items() if v}
        return f"{self.settings.base_path}{path}" + (f"?{urlencode(shown)}" if shown else "")

    def render(self, request: web.Request, title: str, body: str, current: str = "", status: int = 200,
               refresh: int = 0) -> web.Response:
        session: Optional[Session] = request.get("session")
        waiting = self.waiting_work() if session else 0
        html = page(title, body, self.settings.base_path, session.email if session else None,
                    session.csrf_token if session else "", current, waiting, refresh)
        return web.Response(text=html, content_type="text/html", status=status)

    def redirect(self, path: str, **query: str) -> web.Response:
        return web.Response(status=303, headers={"Location": self.url(path, **query)})

    def client_address(self, request: web.Request) -> str:
        if self.settings.trust_proxy and request.headers.get("X-Forwarded-For"):
            return request.headers["X-Forwarded-For"].split(",")[-1].strip()[:64]
        return (request.remote or "unknown")[:64]

    def set_cookie(self, response: web.StreamResponse, name: str, value: str, max_age: Optional[int]) -> None:
        response.set_cookie(name, value, max_age=max_age, path=self.settings.base_path or "/", httponly=True,
                            secure=True, samesite="Strict")

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await self.checked(request, handler)
        except web.HTTPException as refusal:
            response = web.Response(status=refusal.status, text=refusal.text, headers=refusal.headers)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    async def checked(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if (request.method, request.path) in PUBLIC_ROUTES:
            return await handler(request)
        session = self.store.session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if request.method in ("GET", "HEAD") and not request.path.endswith(".csv"):
                return self.redirect("/login", next=request.path_qs)
            raise web.HTTPUnauthorized(text="log in first")
        request["session"] = session
        if request.method == "POST":
            form = await request.post()
            if not hmac.compare_digest(str(form.get("csrf", "")), session.csrf_token):
                raise web.HTTPForbidden(text="the form is out of date or was not sent by this console: "
                                             "reload the page and try again")
        return await handler(request)

    # --- log-in ------------------------------------------------------------------------------

    def login_form(self, request: web.Request, error: str = "", status: int = 200) -> web.Response:
        # Kept while it lives: the browser may load another log-in page meanwhile (a redirected
        # /favicon.ico, a second tab), and a new token would refuse the form already shown.
        token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if len(token) < 32:
            token = secrets.token_urlsafe(32)
        next_path = request.query.get("next", "")
        body = (f'{message(error, "error")}<form method="post" action="{self.url("/login")}">{csrf_field(token)}'
                f'<input type="hidden" name="next" value="{quote(next_path, safe="/?=&")}">'
                '<p><label for="email">E-mail</label><input id="email" name="email" type="email" '
                'autocomplete="username" required></p>'
                '<p><label for="password">Password</label><input id="password" name="password" type="password" '
                'autocomplete="current-password" required></p><p><button>Log in</button></p></form>')
        response = self.render(request, "Log in", body, status=status)
        self.set_cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    async def show_login(self, request: web.Request) -> web.Response:
        return self.login_form(request)

    async def log_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
            return self.login_form(request, "The form had expired. Please log in again.", status=403)
        try:
            token = self.store.log_in(str(form.get("email", "")), str(form.get("password", "")),
                                      self.client_address(request))
        except LoginRefused as refusal:
            metrics.login_failed()
            return self.login_form(request, str(refusal), status=429 if "Too many" in str(refusal) else 401)
        next_path = str(form.get("next", ""))
        # Only a path of this console: never an address elsewhere ("//evil.example" included).
        safe_next = next_path if next_path.startswith("/") and not next_path.startswith("//") else "/requests"
        response = web.Response(status=303, headers={"Location": self.settings.base_path + safe_next})
        # No Max-Age: gone with the browser; the server ends it after SESSION_IDLE_SECONDS idle.
        self.set_cookie(response, SESSION_COOKIE, token, max_age=None)
        response.del_cookie(LOGIN_CSRF_COOKIE, path=self.settings.base_path or "/")
        return response

    async def log_out(self, request: web.Request) -> web.Response:
        self.store.log_out(request.cookies.get(SESSION_COOKIE, ""))
        self.store.record(request["session"].email, "log out", request["session"].email)
        response = self.redirect("/login")
        response.del_cookie(SESSION_COOKIE, path=self.settings.base_path or "/")
        return response

    # --- requests and crisis flags -----------------------------------------------------------

    def request_rows(self, status: str = "", kind: str = "", search: str = "") -> List[Dict[str, object]]:
        history = self.store.status_history()
        owners = self.store.owners()
        e_mailed = {n["reference"] for n in self.outbox.notices() if n["status"] == SENT}
        rows = []
        for stored in self.outbox.requests():
            changes = history.get(stored["request_id"], [])
            latest = changes[-1] if changes else {}
            ways = [way for way, done in (("webhook", stored["status"] == DELIVERED),
                                          ("e-mail", stored["request_id"] in e_mailed)) if done]
            row = {**stored, "staff_status": latest.get("status", "new"), "changed_by": latest.get("changed_by", ""),
                   "changed_at": latest.get("changed_at", ""), "history": changes,
                   "attempts": sum(1 for c in changes if c["status"] == NO_ANSWER),
                   "owner": owners.get(stored["request_id"], ""), "clinic_told": " and ".join(ways) or "not yet"}
            if status and row["staff_status"] != status or kind and row["kind"] != kind:
                continue
            if not request_matches(row, search):
                continue
            rows.append(row)
        return rows

    def waiting_work(self) -> int:
        """New requests nobody has handled, and crisis flags without follow-up."""
        history = self.store.status_history()
        unhandled = [r for r in self.outbox.requests()
                     if (history.get(r["request_id"]) or [{"status": "new"}])[-1]["status"] == "new"]
        return len(unhandled) + len(self.open_flags())

    def open_flags(self) -> List[Dict[str, object]]:
        followed = self.store.follow_ups()
        return [flag for flag in self.outbox.flags() if flag["id"] not in followed]

    def contact_cell(self, payload: Dict[str, object]) -> str:
        """The patient's phone or, without one, e-mail, as a link to call or write."""
        key = "phone" if payload.get("phone") else "email"
        return self.detail_cell(key, payload.get(key))

    def detail_cell(self, key: str, value: object) -> str:
        """One detail of a request as HTML: a phone (as written in the clinic's country) or e-mail as a
        link to call or write, anything else as text."""
        if not value:
            return "-"
        if key == "phone":
            number = str(value).partition(" ext. ")[0]
            return link(f"tel:{number}", display_phone(str(value), self.settings.phone_region))
        if key == "email":
            return link(f"mailto:{value}", str(value))
        return _html(value)

    def flag_context(self, flag: Dict[str, object], requests: List[Dict[str, object]]) -> Tuple[str, str]:
        """What the patient last wrote in the flagged conversation, and a way to reach them (HTML)
        when the conversation left one."""
        said = [line.text for line in insights.transcript(self.settings.tracker_url, str(flag["conversation_id"]))
                if line.speaker == "patient" and line.text and not line.text.startswith("/")]
        contact = next((self.contact_cell(r["payload"]) for r in requests
                        if r["payload"].get("conversation_id") == flag["conversation_id"]), "no contact left")
        return (said[-1] if said else "(the conversation is no longer stored)"), contact

    def flag_item(self, flag: Dict[str, object], requests: List[Dict[str, object]]) -> str:
        """One open flag in the inbox: when, the first words the patient wrote, how to reach them."""
        words, contact = self.flag_context(flag, requests)
        return (f"<li>{link(self.url('/flags/%d' % flag['id']), 'Crisis flag %d' % flag['id'])} · "
                f"{_html(self.local(flag['created_at']))} · “{_html(first_words(words))}” · {contact}</li>")

    async def inbox(self, request: web.Request) -> web.Response:
        status, kind, search = (request.query.get(k, "") for k in ("status", "kind", "q"))
        flags = self.open_flags()
        crisis = ""
        if flags:
            stored = self.outbox.requests()
            items = "".join(self.flag_item(flag, stored) for flag in flags[:FLAGS_IN_INBOX])
            more = link(self.url("/flags"), f"All {len(flags)} open flags" if len(flags) > FLAGS_IN_INBOX
                        else "All crisis flags")
            crisis = (f'<section class="crisis" aria-labelledby="crisis-heading"><h2 id="crisis-heading">'
                      f"{len(flags)} crisis flag(s) waiting for follow-up</h2><ul>{items}</ul><p>{more}</p></section>")
        filters = (f'<form method="get" action="{self.url("/requests")}" role="search">'
                   + select("status", "Status", [("", "any")] + [(s, s) for s in STATUSES], status)
                   + select("kind", "Kind", [("", "any")] + [(k, v.label) for k, v in REQUEST_KINDS.items()], kind)
                   + '<label for="q">Search</label>'
                   + f'<input id="q" name="q" value="{_html(search)}" size="32"'
                   + ' placeholder="name, phone, e-mail or reference">'
                   + "<button>Filter</button></form>")
        rows = self.request_rows(status, kind, search)
        cells = [(link(self.url(f"/requests/{r['request_id']}"), str(r["request_id"])), _html(_kind(r["kind"])),
                  _html(r["payload"].get("name") or "-"), self.contact_cell(r["payload"]),
                  _html(r["payload"].get("preferred_time_text") or "-"), _html(r["payload"].get("reason") or "-"),
                  _html(self.local(r["created_at"])), _status_cell(r["staff_status"], r["attempts"]),
                  _html(r["owner"] or "-"), _html(r["clinic_told"]))
                 for r in rows]
        export = link(self.url("/requests.csv", status=status, kind=kind, q=search), "Export these as CSV")
        body = (f'<div id="inbox">{crisis}{filters}<p>{len(rows)} request(s), newest first. {export}</p>'
                + table(["Reference", "Kind", "Name", "Phone or e-mail", "Preferred time", "Reason", "Received",
                         "Status", "Assigned to", "Clinic told by"], cells, raw=True) + "</div>")
        # Only the unfiltered inbox brings itself up to date: a search's results stay as they were.
        refresh = 0 if (status or kind or search) else self.settings.refresh_seconds
        return self.render(request, "Requests", body, "requests", refresh=refresh)

    async def export(self, request: web.Request) -> web.Response:
        rows = self.request_rows(*(request.query.get(k, "") for k in ("status", "kind", "q")))
        out = io.StringIO()
        fields = ["name", "phone", "email", "preferred_time", "preferred_time_text", "reason", "insurance",
                  "message", "channel"]
        writer = csv.writer(out)
        writer.writerow(["reference", "kind", "received", "status", "changed_by", "changed_at", "attempts",
                         "assigned_to"] + fields)
        for r in rows:
            zone = self.settings.timezone
            writer.writerow([_csv_safe(v) for v in [r["request_id"], r["kind"], local_iso(r["created_at"], zone),
                             r["staff_status"], r["changed_by"], local_iso(r["changed_at"], zone),
                             r["attempts"], r["owner"]]
                             + [r["payload"].get(f) for f in fields]])
        self.store.record(request["session"].email, "export requests", f"{len(rows)} request(s)",
                          urlencode(dict(request.query)))
        return web.Response(text=out.getvalue(), content_type="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="requests.csv"'})

    async def show_request(self, request: web.Request) -> web.Response:
        reference = request.match_info["reference"]
        found = next((r for r in self.request_rows() if r["request_id"] == reference), None)
        if found is None:
            raise web.HTTPNotFound(text="no such request")
        self.store.record(request["session"].email, "view request", reference)
        payload = found["payload"]
        # Every window the patient offered ("Monday or Wednesday morning"), where the request has them.
        read_as = "; or ".join(w.get("description", "") for w in payload.get("preferred_windows") or [])
        payload = {**payload, "preferred_time": read_as or payload.get("preferred_time")}
        details = table(["Detail", "Value"],
                        [(label, self.detail_cell(key, payload.get(key))) for key, label in DETAILS], raw=True)
        history = table(["Status", "Changed by", "When"],
                        [(c["status"], c["changed_by"], self.local(c["changed_at"])) for c in found["history"]]
                        or [("new", "-", self.local(found["created_at"]))])
        csrf = csrf_field(request["session"].csrf_token)
        status_form = (f'<form method="post" action="{self.url(f"/requests/{reference}/status")}">{csrf}'
                       + select("status", "New status", [(s, s) for s in STATUSES], str(found["staff_status"]))
                       + "<button>Save status</button></form>")
        owner_form = (f'<form method="post" action="{self.url(f"/requests/{reference}/owner")}">{csrf}'
                      + select("owner", "Assigned to", [("", "nobody")] + [(e, e) for e in self.store.staff_emails()],
                               str(found["owner"]))
                      + "<button>Save owner</button></form>")
        note_form = (f'<form method="post" action="{self.url(f"/requests/{reference}/notes")}">{csrf}'
                     f'<p><label for="note">Note</label><br><textarea id="note" name="note" rows="3" cols="60" '
                     f'maxlength="{MAX_NOTE_LENGTH}" required></textarea></p><button>Add note</button></form>')
        notes = self.store.notes(reference).get(reference, [])
        notes_table = (table(["Note", "By", "When"], [(n["note"], n["written_by"], self.local(n["written_at"]))
                                                     for n in notes], caption="Notes, newest first")
                       if notes else '<p class="muted">No notes yet.</p>')
        transcript = link(self.url(f"/conversations/{quote(str(payload.get('conversation_id', '')), safe='')}"),
                          "Read the conversation")
        owner = found["owner"] or "nobody"
        body = (message(SAVED.get(request.query.get("saved", ""), ""))
                + f"<p>{_html(_kind(found['kind']))} received {_html(self.local(found['created_at']))}; "
                f"status <strong>{_html(status_text(found['staff_status'], found['attempts']))}</strong>; "
                f"assigned to <strong>{_html(owner)}</strong>. {transcript}</p>"
                + '<div class="actions">' + status_form + owner_form + "</div>"
                + "<h2>Notes</h2>" + note_form + notes_table
                + "<h2>Details</h2>" + details + "<h2>Status history</h2>" + history)
        return self.render(request, f"Request {reference}", body, "requests")

    def known_request(self, reference: str) -> None:
        if self.outbox.request(reference) is None:
            raise web.HTTPNotFound(text="no such request")

    async def change_status(self, request: web.Request) -> web.Response:
        reference = request.match_info["reference"]
        status = str((await request.post()).get("status", ""))
        if status not in STATUSES:
            raise web.HTTPBadRequest(text=f"status must be one of {', '.join(STATUSES)}")
        self.known_request(reference)
        self.store.set_status(reference, status, request["session"].email)
        return self.redirect(f"/requests/{reference}", saved="status")

    async def add_note(self, request: web.Request) -> web.Response:
        reference = request.match_info["reference"]
        note = str((await request.post()).get("note", "")).strip()
        if not note or len(note) > MAX_NOTE_LENGTH:
            raise web.HTTPBadRequest(text=f"write a note of 1 to {MAX_NOTE_LENGTH} characters")
        self.known_request(reference)
        self.store.add_note(reference, note, request["session"].email)
        return self.redirect(f"/requests/{reference}", saved="note")

    async def assign(self, request: web.Request) -> web.Response:
        reference = request.match_info["reference"]
        owner = str((await request.post()).get("owner", "")).strip().lower()
        if owner and owner not in self.store.staff_emails():
            raise web.HTTPBadRequest(text="assign the request to a staff account, or to nobody")
        self.known_request(reference)
        self.store.assign(reference, owner, request["session"].email)
        return self.redirect(f"/requests/{reference}", saved="owner")

    async def flags(self, request: web.Request) -> web.Response:
        followed = self.store.follow_ups()
        rows = [(link(self.url(f"/flags/{f['id']}"), f"Crisis flag {f['id']}"), _html(self.local(f["created_at"])),
                 _html(f["channel"] or "-"),
                 _html("followed up" if f["id"] in followed else "waiting for follow-up"))
                for f in self.outbox.flags()]
        return self.render(request, "Crisis flags",
                           table(["Flag", "Raised", "Channel", "Follow-up"], rows, raw=True), "flags")

    async def show_flag(self, request: web.Request) -> web.Response:
        flag_id = _number(request.match_info["flag_id"])
        flag = next((f for f in self.outbox.flags() if f["id"] == flag_id), None)
        if flag is None:
            raise web.HTTPNotFound(text="no such crisis flag")
        notes = self.store.follow_ups().get(flag_id, [])
        transcript = link(self.url(f"/conversations/{quote(str(flag['conversation_id']), safe='')}"),
                          "Read the conversation")
        form = (f'<form method="post" action="{self.url(f"/flags/{flag_id}/follow-up")}">'
                f'{csrf_field(request["session"].csrf_token)}<p><label for="note">What was done</label><br>'
                '<textarea id="note" name="note" rows="3" cols="60" required></textarea></p>'
                "<button>Record follow-up</button></form>")
        channel = flag["channel"] or "an unknown channel"
        # What the patient said and how to reach them lead the page: what staff act on first.
        words, contact = self.flag_context(flag, self.outbox.requests())
        body = (f'<blockquote><p>“{_html(first_words(words, FLAG_PAGE_WORDS))}”</p></blockquote>'
                f"<p>How to reach them: {contact}</p>"
                f'<p>Raised {_html(self.local(flag["created_at"]))} on {_html(channel)} '
                f"({_html(flag['reason'])}). {transcript}</p>"
                + table(["Follow-up", "By", "When"],
                        [(n["note"], n["recorded_by"], self.local(n["recorded_at"])) for n in notes])
                + form)
        return self.render(request, f"Crisis flag {flag_id}", body, "flags")

    async def follow_up(self, request: web.Request) -> web.Response:
        flag_id = _number(request.match_info["flag_id"])
        note = str((await request.post()).get("note", "")).strip()
        if not note:
            raise web.HTTPBadRequest(text="describe the follow-up")
        if not any(f["id"] == flag_id for f in self.outbox.flags()):
            raise web.HTTPNotFound(text="no such crisis flag")
        self.store.record_follow_up(flag_id, note[:2000], request["session"].email)
        return self.redirect(f"/flags/{flag_id}")

    async def conversation(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        lines = insights.transcript(self.settings.tracker_url, conversation_id)
        self.store.record(request["session"].email, "read transcript", conversation_id)
        # How the assistant read each message is for whoever improves it: shown when asked for.
        details = request.query.get("details") == "1"
        path = f"/conversations/{quote(conversation_id, safe='')}"
        toggle = link(self.url(path), "Hide details") if details else link(self.url(path, details="1"),
                                                                           "Show details")
        rows = "".join(
            f'<tr class="{line.speaker}"><td>{_html(self.local(line.at))}</td>'
            f"<td>{_html(line.speaker)}</td><td>{_html(line.text)}</td>"
            + (f"<td>{_html(line.detail)}</td>" if details else "") + "</tr>"
            for line in lines)
        body = (f"<p>{len(lines)} line(s). {toggle}</p><table><thead><tr><th scope=col>When</th>"
                "<th scope=col>Who</th><th scope=col>Said</th>" + ("<th scope=col>Detail</th>" if details else "")
                + f"</tr></thead><tbody>{rows}</tbody></table>")
        return self.render(request, f"Conversation {conversation_id}", body, "requests")

    # --- review ------------------------------------------------------------------------------

    async def review(self, request: web.Request) -> web.Response:
        queue = insights.review_queue(self.settings.tracker_url, time.time() - REVIEW_DAYS * 86400,
                                      self.store.labels(), text_key)
        # Plain titles only: the stored label is the intent's name, which staff never need to see.
        options = [(name, plain_title(name)) for name in self.intents]
        items = []
        for n, item in enumerate(queue):
            f = item.finding
            guess = f.chosen or f.guess
            items.append(
                f"<li><p><q>{_html(f.text)}</q> <span class=muted>· {f.count} time(s) · {_html(f.reason)} · "
                f"guessed: {_html(plain_title(guess) if guess else 'nothing')}</span></p>"
                f'<form method="post" action="{self.url("/review/label")}">{csrf_field(request["session"].csrf_token)}'
                f'<input type="hidden" name="text" value="{_html(f.text)}">'
                + select("intent", "Belongs to", options, guess, field_id=f"intent-{n}")
                + "<button>Save label</button></form></li>")
        saved = request.query.get("labelled", "")
        body = (message(saved and f"Saved as “{plain_title(saved)}”; it is used at the next training.")
                + f"<p>{len(queue)} message(s) the assistant did not understand in the last {REVIEW_DAYS} days. "
                "Choose what each one was about; the assistant learns from your choices at its next training.</p>"
                + f"<ol>{''.join(items)}</ol>")
        return self.render(request, "Review", body, "review")

    @property
    def review_file(self) -> Path:
        return self.settings.review_dir / REVIEW_FILE

    async def label(self, request: web.Request) -> web.Response:
        form = await request.post()
        text, intent = " ".join(str(form.get("text", "")).split()), str(form.get("intent", ""))
        if not text or intent not in self.intents:
            raise web.HTTPBadRequest(text="choose one of the assistant's intents for a message")
        self.store.label(text, intent, request["session"].email)
        self.write_review_file()
        return self.redirect("/review", labelled=intent)

    def write_review_file(self) -> None:
        blocks: Dict[str, List[str]] = {}
        for labelled in self.store.labels().values():
            blocks.setdefault(labelled["intent"], []).append(labelled["text"])
        self.settings.review_dir.mkdir(parents=True, exist_ok=True)
        staged = self.review_file.with_suffix(".tmp")
        staged.write_text(nlu_yaml(blocks, {}, ["Labelled by clinic staff in the staff console's review queue;",
                                                "rewritten by the console at every label."]), encoding="utf-8")
        staged.replace(self.review_file)  # whole or not at all: training never reads half a file

    # --- at a glance and audit ---------------------------------------------------------------

    async def glance(self, request: web.Request) -> web.Response:
        days = min(max(_number(request.query.get("days", "14")), 1), 90)
        figures = insights.glance(self.settings.tracker_url, self.request_rows(), days, self.settings.timezone)
        share = figures.not_understood_share()
        per_day_share = [(day, 100 * figures.not_understood_per_day[day] / figures.messages_per_day[day]
                          if figures.messages_per_day[day] else 0.0) for day in figures.days]
        median = figures.median_first_contact()
        not_reached = f"{figures.not_yet_contacted} not reached yet"
        first_contact = (f"Median time from a request to its first contact: "
                         f"<strong>{insights.duration_text(median)}</strong> "
                         f"({len(figures.first_contact_seconds)} request(s) reached; {not_reached})."
                         if median is not None else f"No patient of the period reached yet ({not_reached}).")
        body = (f'<form method="get" action="{self.url("/glance")}">'
                + select("days", "Period", [(str(d), f"last {d} days") for d in (7, 14, 30, 90)], str(days))
                + "<button>Show</button></form>"
                + f"<p>Days are the clinic's, in {_html(self.settings.timezone)}.</p>"
                + f"<p>{sum(figures.messages_per_day.values())} message(s); {100 * share:.1f}% not understood.</p>"
                + f"<p>{sum(figures.requests_per_day.values())} request(s). {first_contact}</p>"
                + '<div class="charts">'
                + bar_chart("Requests per day", "day", [(d, figures.requests_per_day[d]) for d in figures.days])
                + bar_chart("Conversations per day", "day",
                            [(d, figures.conversations_per_day[d]) for d in figures.days])
                + bar_chart("Top topics", "topic", [(TOPIC_TITLES.get(t, t), n) for t, n in figures.topics])
                + bar_chart("Messages not understood, per day", "day", per_day_share, "%", "{:.1f}")
                + bar_chart("Booking funnel", "stage", [(stage, n) for stage, n in figures.funnel]) + "</div>")
        return self.render(request, "At a glance", body, "glance")

    async def audit(self, request: web.Request) -> web.Response:
        rows = [(self.local(e["at"]), e["email"], e["action"], e["target"], e["detail"] or "")
                for e in self.store.audit_log()]
        return self.render(request, "Audit log", table(["When", "Who", "Action", "Target", "Detail"], rows), "audit")

    async def home(self, request: web.Request) -> web.Response:
        return self.redirect("/requests")

    # --- health ------------------------------------------------------------------------------

    async def healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, _: web.Request) -> web.Response:
        ok, why = await asyncio.get_running_loop().run_in_executor(None, self.outbox.reachable)
        return web.Response(text=f"{why}\n", status=200 if ok else 503)

    def open_crisis_flag_times(self) -> List[object]:
        return [flag["created_at"] for flag in self.open_flags() if flag["reason"] == "crisis"]

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.guard], client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.home), web.get("/login", self.show_login), web.post("/login", self.log_in),
            web.post("/logout", self.log_out), web.get("/requests", self.inbox), web.get("/requests.csv", self.export),
            web.get("/requests/{reference}", self.show_request),
            web.post("/requests/{reference}/status", self.change_status),
            web.post("/requests/{reference}/notes", self.add_note),
            web.post("/requests/{reference}/owner", self.assign),
            web.get("/flags", self.flags), web.get("/flags/{flag_id}", self.show_flag),
            web.post("/flags/{flag_id}/follow-up", self.follow_up),
            web.get("/conversations/{conversation_id}", self.conversation),
            web.get("/review", self.review), web.post("/review/label", self.label),
            web.get("/glance", self.glance), web.get("/audit", self.audit),
            web.get("/healthz", self.healthz), web.get("/readyz", self.readyz),
        ])
        return app


def request_matches(row: Dict[str, object], search: str) -> bool:
    """Whether a stored request is one a search means: digits (any formatting, or the last few)
    are looked for in its phone; other words in its reference, name or e-mail."""
    query = " ".join(search.split()).lower()
    if not query:
        return True
    payload = row.get("payload") or {}
    digits = re.sub(r"\D", "", query)
    if digits and PHONE_QUERY.match(query):
        phone = re.sub(r"\D", "", str(payload.get("phone") or ""))
        return digits in phone or query in str(row.get("request_id")).lower()
    return any(query in str(value or "").lower()
               for value in (row.get("request_id"), payload.get("name"), payload.get("email")))


def _moment(stamp: object) -> Optional[datetime]:
    """An ISO 8601 time ("2026-12-07T03:49:00Z") or a Unix time, as an aware datetime; None if neither."""
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(float(stamp), dt_timezone.utc)
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)


def local_time(stamp: object, zone: str) -> str:
    """A stored time as the clinic reads it, its zone named: "Mon 7 Dec 2026, 10:49 EST"."""
    moment = _moment(stamp)
    if moment is None:
        return str(stamp or "-")
    moment = moment.astimezone(ZoneInfo(zone))
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M %Z}"


def local_iso(stamp: object, zone: str) -> str:
    """A stored time in ISO 8601 with the clinic's offset ("2026-12-07T05:49:00-05:00"), for the CSV."""
    moment = _moment(stamp)
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds") if moment else str(stamp or "")


def first_words(text: str, count: int = 12) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def status_text(status: str, attempts: int = 0) -> str:
    """A request's status in words, with the attempts to reach the patient: "tried, no answer (2)"."""
    return f"{status} ({attempts})" if status == NO_ANSWER else status


def _status_cell(status: str, attempts: int = 0) -> str:
    """The status, marked when nobody has handled the request yet."""
    shown = _html(status_text(status, attempts))
    return f"<strong>{shown}</strong>" if status == "new" else shown


def _html(value: object) -> str:
    return escape(str(value))


def _kind(kind: object) -> str:
    known = REQUEST_KINDS.get(str(kind))
    return known.label if known else str(kind)


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise web.HTTPNotFound(text="not found") from None


def _csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (a patient's message could start with "=")."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("STAFF_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("STAFF_PORT", DEFAULT_PORT)))
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    args = parser.parse_args()
    logs.configure()  # LOG_FORMAT=json: one-line JSON logs
    console = Console(ConsoleSettings.from_environment(args.endpoints), Outbox())
    metrics.register(metrics.OutboxCollector(console.outbox))
    metrics.register(metrics.CrisisFlagCollector(console.open_crisis_flag_times))
    metrics.register(metrics.ClinicOpenCollector(chosen_profile().is_open_now))
    metrics.serve("staff", console.outbox.reachable)
    web.run_app(console.application(), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
