"""The sign-in cookie and the CSRF token that guards the dashboard's forms.

The cookie holds the API key itself (HttpOnly, SameSite=Strict, scoped to the dashboard's path):
nothing is stored server-side, so any API process can serve any page, and revoking the key signs
the browser out. The CSRF token is an HMAC keyed by that secret, so it is the same on every
process and useless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

from cronwright import domain, errors, service

COOKIE = "cronwright_session"
MAX_AGE = 12 * 3600  # a browser session, not a remembered login


class SignInRequired(Exception):  # noqa: N818 - control flow, turned into a redirect
    """No cookie, or one whose key is unknown or revoked."""


def base_path(request: Request) -> str:
    """Where the dashboard is mounted ("/ui" under ``serve``; "" when it is the whole app)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def signed_in(request: Request, organizations: service.Organizations) -> domain.ApiKey:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired()
    try:
        return organizations.authenticate(token)
    except errors.AuthenticationFailed:
        raise SignInRequired() from None


def csrf_token(request: Request) -> str:
    token = request.cookies.get(COOKIE, "")
    return hmac.new(token.encode(), b"cronwright dashboard csrf", hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, csrf_token(request)):
        raise errors.PermissionDenied(required="a valid form token", role="none")


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
