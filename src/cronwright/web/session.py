"""The sign-in cookie and the CSRF tokens that guard the dashboard's forms.

The cookie holds the API key itself (HttpOnly, SameSite=Strict, scoped to the dashboard's path):
nothing is stored server-side, so any API process can serve any page, and revoking the key signs
the browser out. The CSRF token is an HMAC keyed by that secret, so it is the same on every
process and useless without the cookie.

Signing in and out are guarded too (login CSRF: another site must not sign a visitor in to the
attacker's organization, nor out of theirs). Before sign-in there is no session to key a token
by, so the sign-in page sets a random nonce cookie (SameSite=Strict, so another site's post does
not carry it) and its form carries an HMAC of that nonce. Every such post must also come from our
own pages by the browser's word: ``Sec-Fetch-Site`` same-origin (or none, typed by the user) and
an ``Origin``, when it names one, naming this host.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from cronwright import domain, errors, service
from cronwright.service import throttle as throttle_module

COOKIE = "cronwright_session"
SIGNIN_COOKIE = "cronwright_signin"
MAX_AGE = 12 * 3600  # a browser session, not a remembered login
SIGNIN_MAX_AGE = 3600  # how long a sign-in page stays usable
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


class SignInRequired(Exception):  # noqa: N818 - control flow, turned into a redirect
    """No cookie, or one whose key is unknown or revoked."""


class ForgedRequest(Exception):  # noqa: N818 - the reason a form post is refused
    """A form post that did not come from one of our own pages."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def base_path(request: Request) -> str:
    """Where the dashboard is mounted ("/ui" under ``serve``; "" when it is the whole app)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def authenticate(
    request: Request, organizations: service.Organizations, token: str
) -> domain.ApiKey:
    """The key ``token`` names, through the app's failed-sign-in throttle when it has one."""
    limits = getattr(request.app.state, "throttle", None)
    if not isinstance(limits, throttle_module.FailedAuthThrottle):
        return organizations.authenticate(token)
    address = request.client.host if request.client else None
    return throttle_module.authenticate(organizations, limits, token, address=address)


def signed_in(request: Request, organizations: service.Organizations) -> domain.ApiKey:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired()
    try:
        return authenticate(request, organizations, token)
    except errors.AuthenticationFailed:
        raise SignInRequired() from None


def _mac(key: str, purpose: bytes) -> str:
    return hmac.new(key.encode(), purpose, hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    return _mac(request.cookies.get(COOKIE, ""), b"cronwright dashboard csrf")


def check_same_origin(request: Request) -> None:
    """Refuse a post the browser says came from another site (or a sandboxed frame)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAFE_FETCH_SITES:
        raise ForgedRequest(f"the form was posted from another site ({fetch_site})")
    origin = request.headers.get("origin")
    # "null" is what a browser sends from our own pages too (they set no-referrer): no word.
    if origin not in (None, "null") and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForgedRequest("the form was posted from another origin")


def check_csrf(request: Request, submitted: str | None) -> None:
    check_same_origin(request)
    if not submitted or not hmac.compare_digest(submitted, csrf_token(request)):
        raise ForgedRequest("the form's token is missing or stale; reload the page")


def signin_nonce(request: Request) -> str:
    """The sign-in page's nonce: the browser's own, or a new one to set with the page."""
    return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)


def signin_token(nonce: str) -> str:
    return _mac(nonce, b"cronwright dashboard sign-in")


def remember_signin_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        max_age=SIGNIN_MAX_AGE,
        path=base_path(request) or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def check_signin(request: Request, submitted: str | None) -> None:
    """A sign-in post must come from our sign-in page, in this browser."""
    check_same_origin(request)
    nonce = request.cookies.get(SIGNIN_COOKIE)
    if not nonce or not submitted or not hmac.compare_digest(submitted, signin_token(nonce)):
        raise ForgedRequest("the sign-in form is missing or stale; reload the sign-in page")


def remember(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path=base_path(request) or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # plain http on localhost must still work
    )


def forget(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=base_path(request) or "/", httponly=True, samesite="strict")
