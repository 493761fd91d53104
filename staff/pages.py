"""HTML of the console: plain server-rendered pages, every value escaped, charts as inline SVG
with their numbers in a table beside them (no script, nothing loaded from elsewhere)."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Iterable, List, Optional, Sequence, Tuple

STYLE = """
:root { --primary: #0b5d66; --text: #1b1f23; --muted: #4a545e; --line: #c9d1d9; --alert: #8a1c1c; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--text); margin: 0; background: #fff; }
a { color: var(--primary); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f2b705; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px; }
header { background: var(--primary); color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap;
  gap: 16px; align-items: center; }
header a { color: #fff; } header .who { margin-left: auto; }
header form { display: inline; }
main { padding: 16px; max-width: 1200px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 24px; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
.crisis { border: 3px solid var(--alert); background: #fdecec; padding: 8px 16px; margin-bottom: 24px; }
.crisis h2 { color: var(--alert); margin-top: 0; }
.notice { background: #e6f4ea; border-left: 4px solid #1e6b34; padding: 8px 12px; }
.error { background: #fdecec; border-left: 4px solid var(--alert); padding: 8px 12px; }
.muted { color: var(--muted); }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--primary); background: var(--primary);
  color: #fff; border-radius: 4px; cursor: pointer; }
header button { background: #fff; color: var(--primary); }
label { display: inline-block; margin-right: 8px; }
input, select, textarea { font: inherit; padding: 4px; }
.charts figure { display: flex; flex-wrap: wrap; gap: 24px; margin: 0 0 32px; }
.charts figcaption { font-weight: bold; width: 100%; }
.charts table { width: auto; min-width: 240px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px 32px; margin-bottom: 8px; }
.charts svg { max-width: 100%; height: auto; }
.patient { background: #f0f6f7; } .event { color: var(--muted); font-style: italic; }
"""
# The page's only style, allowed by hash in the Content-Security-Policy.
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")

# Keeps the inbox current without reloading the page (which would move a screen reader's place):
# every few seconds it fetches the same page and swaps in its list of requests, its crisis box and
# its title, unless the receptionist is in a form field. The page's only script, allowed by hash.
INBOX_SCRIPT = """(function () {
  var main = document.getElementById("main"), every = Number(main.dataset.refresh || 0) * 1000;
  if (!every) { return; }
  setInterval(function () {
    var active = document.activeElement;
    if (active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) { return; }
    fetch(location.href, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var current = document.getElementById("inbox"), next = fresh.getElementById("inbox");
      if (current && next) { current.replaceWith(document.importNode(next, true)); }
      document.title = fresh.title;
    }).catch(function () {});
  }, every);
})();"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(INBOX_SCRIPT.encode("utf-8")).digest()).decode("ascii")

NAVIGATION = (("requests", "Requests"), ("flags", "Crisis flags"), ("review", "Review"),
              ("glance", "At a glance"), ("audit", "Audit log"))


def page(title: str, body: str, base: str, user: Optional[str] = None, csrf: str = "",
         current: str = "", waiting: int = 0, refresh: int = 0) -> str:
    """A console page. `waiting` (new requests and open crisis flags) leads the tab's title, so a
    tab in the background shows new work; with `refresh`, the part of the page with id "inbox" and
    the title are brought up to date every so many seconds (INBOX_SCRIPT)."""
    nav = ""
    if user:
        links = " ".join(
            f'<a href="{base}/{path}"{" aria-current=page" if path == current else ""}>{label}</a>'
            for path, label in NAVIGATION)
        nav = (f'<nav aria-label="Console">{links}</nav><span class="who">{escape(user)}</span>'
               f'<form method="post" action="{base}/logout">{csrf_field(csrf)}<button>Log out</button></form>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            + f"<title>{f'({waiting}) ' if waiting else ''}{escape(title)} · Staff console</title>"
              f"<style>{STYLE}</style></head>"
            f'<body><a class="skip" href="#main">Skip to content</a><header><strong>Staff console</strong>{nav}'
            f'</header><main id="main"{f" data-refresh={int(refresh)}" if refresh > 0 else ""}>'
            f'<h1>{escape(title)}</h1>{body}</main>'
            + (f"<script>{INBOX_SCRIPT}</script>" if refresh > 0 else "") + "</body></html>")


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def message(text: str, kind: str = "notice") -> str:
    return f'<p class="{kind}" role="{"alert" if kind == "error" else "status"}">{escape(text)}</p>' if text else ""


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "", raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (for cells built of escaped parts, such as links)."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell if raw else escape(str(cell))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    caption_html = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def select(name: str, label: str, options: Sequence[Tuple[str, str]], chosen: str = "", field_id: str = "") -> str:
    field_id = field_id or name
    choices = "".join(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(text)}</option>'
                      for value, text in options)
    return (f'<label for="{escape(field_id)}">{escape(label)}</label>'
            f'<select id="{escape(field_id)}" name="{escape(name)}">{choices}</select>')


def bar_chart(title: str, label_header: str, rows: List[Tuple[str, float]], unit: str = "",
              value_format: str = "{:g}") -> str:
    """A horizontal bar chart in SVG and the same numbers in a table beside it."""
    bar_height, gap, bar_area = 22, 6, 300
    # Room for the longest label whole (13px text: under 8px a character), and for the value after a bar.
    label_width = max(120, 8 * max((len(label) for label, _ in rows), default=0) + 16)
    width = label_width + bar_area + 70
    largest = max((value for _, value in rows), default=0) or 1
    height = max(1, len(rows)) * (bar_height + gap)
    bars = []
    for n, (label, value) in enumerate(rows):
        y = n * (bar_height + gap)
        length = bar_area * value / largest
        shown = value_format.format(value) + unit
        bars.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="#0b5d66"></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" font-size="13">{escape(shown)}</text>')
    svg = (f'<svg role="img" aria-label="{escape(title)} (the same figures are in the table)" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg>')
    numbers = table([label_header, "value"], [(label, value_format.format(value) + unit) for label, value in rows])
    return f"<figure><figcaption>{escape(title)}</figcaption>{svg}{numbers}</figure>"
