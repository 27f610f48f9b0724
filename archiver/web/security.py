"""The browser-facing defences every response and form shares: security headers (a strict
Content-Security-Policy: only the application's own scripts and styles, nothing inline, no
frames of it elsewhere), the cookies' attributes, and CSRF tokens.

CSRF: every form and every htmx request carries a token bound to the signed-in session (an
HMAC of the session's token), or before sign-in to the pre-sign-in cookie; a state-changing
request without the right one is refused (403) before any page code runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_COOKIE = "__Host-archiver-session"  # __Host-: Secure, Path=/, no Domain: this host only
PRESIGN_COOKIE = "__Host-archiver-pre"  # before sign-in: binds the sign-in form and OIDC state
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "frame-src 'self'",  # the preview of a produced PDF
    )
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",  # pages hold records: never kept by the browser or a proxy
}


def new_token() -> str:
    """A fresh random value for a cookie (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, bound_to: str) -> str:
    """The CSRF token of a session (or pre-sign-in cookie) value `bound_to`."""
    return hmac.new(secret, b"csrf\0" + bound_to.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, bound_to: str | None, given: str | None) -> bool:
    """Whether `given` is the CSRF token of `bound_to` (constant time)."""
    if not bound_to or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, bound_to), given)
