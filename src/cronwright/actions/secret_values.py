"""Secret values in step configs and URLs: stored and used, never shown.

Which values are secret:

- ``http`` steps: every header value, except those of a few descriptive headers
  (:data:`PUBLIC_HEADERS`: ``Accept``, ``Content-Type``, ``User-Agent``...). ``Authorization``,
  ``Cookie``, ``X-Api-Key``, ``Proxy-Authorization`` and any header of your own are secret
  without being named anywhere;
- ``shell`` steps: every value of ``env``;
- the password in a URL's user info (``https://user:password@host/``): ``http`` step URLs and
  webhook targets.

:func:`masked_config` and :func:`masked_url` put :data:`MASK` in their place for showing.
On an update, :func:`keep_stored` and :func:`keep_stored_url` put the stored value back where the
new input still says :data:`MASK`, and only while the request goes to the same place (scheme,
host and port): otherwise the secret would follow an edit to wherever the editor points it.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit, urlunsplit

from cronwright import domain

MASK = "***"
PUBLIC_HEADERS = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-language",
        "content-type",
        "user-agent",
    }
)


class SecretNotKept(ValueError):  # noqa: N818 - says what happened, like NotFound
    """A :data:`MASK` with no stored value it may stand for; the message says where and why."""


def is_secret_header(name: str) -> bool:
    return name.lower() not in PUBLIC_HEADERS


def masked_config(kind: str, config: domain.JsonObject) -> domain.JsonObject:
    """``config`` with each secret value replaced by :data:`MASK`."""
    shown = dict(config)
    if kind == "http":
        headers = config.get("headers")
        if isinstance(headers, dict):
            shown["headers"] = {
                name: MASK if is_secret_header(name) else value for name, value in headers.items()
            }
        url = config.get("url")
        if isinstance(url, str):
            shown["url"] = masked_url(url)
    elif kind == "shell":
        env = config.get("env")
        if isinstance(env, dict):
            shown["env"] = dict.fromkeys(env, MASK)
    return shown


def keep_stored(
    kind: str, config: domain.JsonObject, stored: domain.JsonObject | None
) -> domain.JsonObject:
    """``config`` with each :data:`MASK` in a secret place replaced by the value ``stored``
    (the same step as saved, or None for a new step) holds there. ``SecretNotKept`` saying
    where (``headers.Authorization``) when there is no such value, or the step now sends to
    another place than it did."""
    kept = dict(config)
    before = stored or {}
    if kind == "http":
        url, old_url = config.get("url"), before.get("url")
        if isinstance(url, str):
            kept["url"] = keep_stored_url(url, old_url if isinstance(old_url, str) else None)
        headers = config.get("headers")
        if isinstance(headers, dict):
            old_headers = _lower_keys(before.get("headers"))
            same_place = (
                isinstance(url, str) and isinstance(old_url, str) and _same_place(url, old_url)
            )
            kept["headers"] = {
                name: _kept(
                    value, old_headers.get(name.lower()), f"headers.{name}", same_place=same_place
                )
                for name, value in headers.items()
            }
    elif kind == "shell":
        env = config.get("env")
        if isinstance(env, dict):
            old_env = before.get("env")
            old = old_env if isinstance(old_env, dict) else {}
            kept["env"] = {
                name: _kept(value, old.get(name), f"env.{name}", same_place=True)
                for name, value in env.items()
            }
    return kept


def masked_url(url: str) -> str:
    """``url`` with the password of its user info, if any, replaced by :data:`MASK`."""
    parts = _split(url)
    if parts is None or parts.password is None:
        return url
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{_host_port(parts)}"))


def keep_stored_url(url: str, stored: str | None) -> str:
    """``url`` with a :data:`MASK` password replaced by ``stored``'s, which must go to the same
    scheme, host and port. ``SecretNotKept`` otherwise."""
    parts = _split(url)
    if parts is None or parts.password != MASK:
        return url
    old = _split(stored) if stored is not None else None
    if old is None or old.password is None:
        raise SecretNotKept(f"url: {MASK} stands for a stored password, and there is none")
    if not _same_place(url, stored or ""):
        raise SecretNotKept(
            f"url: {MASK} keeps the stored password only for the same scheme, host and port; "
            "give the password again"
        )
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{old.password}@{_host_port(parts)}"))


def _kept(
    value: domain.JsonValue, stored: domain.JsonValue | None, where: str, *, same_place: bool
) -> domain.JsonValue:
    if value != MASK:
        return value
    if stored is None:
        raise SecretNotKept(f"{where}: {MASK} stands for a stored value, and there is none")
    if not same_place:
        raise SecretNotKept(
            f"{where}: {MASK} keeps the stored value only while the url goes to the same scheme, "
            "host and port; give the value again"
        )
    return stored


def _lower_keys(headers: domain.JsonValue | None) -> dict[str, domain.JsonValue]:
    if not isinstance(headers, Mapping):
        return {}
    return {str(name).lower(): value for name, value in headers.items()}


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return parts


def _host_port(parts: SplitResult) -> str:
    return parts.netloc.rpartition("@")[2]


def _same_place(url: str, other: str) -> bool:
    new, old = _split(url), _split(other)
    if new is None or old is None:
        return url == other
    return (new.scheme.lower(), _host_port(new).lower()) == (
        old.scheme.lower(),
        _host_port(old).lower(),
    )
