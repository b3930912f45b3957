"""Alerts as text for people: a subject line, a plain-text body and the same as HTML."""

from __future__ import annotations

import html
import json

from cronwright import domain


def subject(payload: domain.JsonObject) -> str:
    text = str(payload.get("summary", payload.get("event", "alert")))
    return "[cronwright] " + " ".join(text.split())  # one line: no header injection, no folding


def _rows(payload: domain.JsonObject) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        (key, str(payload[key])) for key in ("event", "occurred_at", "id") if key in payload
    ]
    for key in ("organization_id", "schedule_id", "run_id"):
        if payload.get(key) is not None:
            rows.append((key, str(payload[key])))
    details = payload.get("details")
    if isinstance(details, dict):
        for key, value in details.items():
            if value is not None:
                shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                rows.append((key, shown))
    return rows


def plain(payload: domain.JsonObject) -> str:
    lines = [str(payload.get("summary", "")), ""]
    lines += [f"{key}: {value}" for key, value in _rows(payload)]
    return "\n".join(lines) + "\n"


def as_html(payload: domain.JsonObject) -> str:
    cells = "".join(
        f"<tr><th align='left'>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
        for key, value in _rows(payload)
    )
    summary = html.escape(str(payload.get("summary", "")))
    return f"<html><body><p><strong>{summary}</strong></p><table>{cells}</table></body></html>\n"
