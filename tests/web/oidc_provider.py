"""A stand-in OpenID Connect provider for tests: discovery, keys, an authorization endpoint that
signs the configured user in at once (no login page), and a token endpoint that checks the
client, the code and the PKCE verifier. Served on 127.0.0.1 on a free port, in a thread.

    with StandInProvider() as idp:          # or the `oidc_provider` fixture
        idp.next_user("rao@district.example", "Pat Officer")
        idp.misbehave("wrong_aud")           # every later answer misbehaves this way

Its clock is `idp.now` (seconds), which tests set and also hand to the client, so nothing
depends on the machine's time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeyParameters, OctKey, RSAKey

Misbehaviour = Literal[
    "wrong_iss",  # the ID token's iss is another issuer
    "wrong_aud",  # the ID token is for another client
    "several_aud",  # aud names this client and another, with no azp
    "other_key",  # signed by a key the provider does not publish, under the published kid
    "expired",  # exp is two minutes past (beyond the client's 60 s leeway)
    "no_nonce",  # the ID token carries no nonce
    "wrong_nonce",  # the ID token carries another sign-in's nonce
    "hs256",  # HMAC-signed with the client secret
    "alg_none",  # unsigned
    "unverified_email",  # email_verified is false
    "access_denied",  # the authorization endpoint refuses (error=access_denied)
    "discovery_issuer",  # discovery names another issuer
    "tenant_template",  # discovery names Entra's multi-tenant "{tenantid}" template
]
START = 1_760_000_000.0  # the stand-in's clock until a test moves it (2025-10-09, UTC)
LIFETIME = 3600  # seconds an ID token is valid
PORT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class User:
    email: str
    name: str
    subject: str
    hd: str | None
    email_verified: bool = True
    preferred_username: str | None = None


@dataclass(frozen=True)
class _Grant:
    """What an issued code stands for."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    user: User


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
        pass


class StandInProvider:
    """One provider with one registered client (`client_id`, `client_secret`)."""

    client_id = "archiver-test-client"

    def __init__(
        self,
        auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic",
        alg: Literal["RS256", "ES256"] = "RS256",
    ) -> None:
        self.client_secret = secrets.token_urlsafe(24)
        self.auth_method = auth_method
        self.alg = alg
        self.now = START
        self.requests: Counter[str] = Counter()  # path -> how many times it was asked for
        self._kid = "stand-in-1"
        self._key = self._new_key(self._kid)
        self._user = User("rao@district.example", "Pat Officer", "sub-0001", None)
        self._misbehaving: set[str] = set()
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server = make_server(
            PORT_HOST, 0, self._app, server_class=_Server, handler_class=_QuietHandler
        )
        self.issuer = f"http://{PORT_HOST}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- what tests call ----------------------------------------------------------------------

    def next_user(
        self,
        email: str,
        name: str,
        *,
        subject: str | None = None,
        hd: str | None = None,
        email_verified: bool = True,
        preferred_username: str | None = None,
    ) -> None:
        """Who the next sign-ins are (until told otherwise). An empty `email` leaves the
        `email` claim out, as Entra does unless the app asks for it."""
        subject = subject or "sub-" + hashlib.sha256((email or name).encode()).hexdigest()[:16]
        self._user = User(email, name, subject, hd, email_verified, preferred_username)

    def misbehave(self, kind: Misbehaviour) -> None:
        """Make every later answer wrong in this way (several kinds add up)."""
        self._misbehaving.add(kind)

    def rotate_key(self) -> None:
        """Sign with a new key under a new kid from now on, and publish only that one."""
        self._kid = f"stand-in-{secrets.token_hex(4)}"
        self._key = self._new_key(self._kid)

    def __enter__(self) -> StandInProvider:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- the HTTP side ------------------------------------------------------------------------

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        with self._lock:
            self.requests[path] += 1
        if path == "/.well-known/openid-configuration":
            return _json(start_response, "200 OK", self._discovery())
        if path == "/jwks":
            return _json(start_response, "200 OK", {"keys": [self._key.as_dict(private=False)]})
        if path == "/authorize" and environ["REQUEST_METHOD"] == "GET":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            return self._authorize(query, start_response)
        if path == "/token" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            return self._token(form, environ.get("HTTP_AUTHORIZATION", ""), start_response)
        return _json(start_response, "404 Not Found", {"error": "not_found"})

    def _discovery(self) -> dict[str, Any]:
        issuer = self.issuer
        if "discovery_issuer" in self._misbehaving:
            issuer = f"{self.issuer}/elsewhere"
        if "tenant_template" in self._misbehaving:
            issuer = f"{self.issuer}/{{tenantid}}/v2.0"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "token_endpoint_auth_methods_supported": [self.auth_method],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, query: dict[str, str], start_response: StartResponse) -> list[bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return _json(start_response, "400 Bad Request", {"error": "invalid_client"})
        answer: dict[str, str]
        if "access_denied" in self._misbehaving:
            answer = {"error": "access_denied", "error_description": "the user said no"}
        elif query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            answer = {"error": "invalid_request", "error_description": "code flow with S256 only"}
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Grant(
                    self.client_id,
                    redirect_uri,
                    query.get("nonce"),
                    query.get("code_challenge", ""),
                    self._user,
                )
            answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        start_response("302 Found", [("Location", redirect_uri + separator + urlencode(answer))])
        return [b""]

    def _token(
        self, form: dict[str, str], authorization: str, start_response: StartResponse
    ) -> list[bytes]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if self.auth_method == "client_secret_basic":
            if not authorization.startswith("Basic "):
                return _json(start_response, "401 Unauthorized", {"error": "invalid_client"})
            pair = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = (unquote_plus(part) for part in pair.partition(":"))
        if client_id != self.client_id or not hmac.compare_digest(secret, self.client_secret):
            return _json(start_response, "401 Unauthorized", {"error": "invalid_client"})
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if form.get("grant_type") != "authorization_code":
            return _json(start_response, "400 Bad Request", {"error": "unsupported_grant_type"})
        if (
            grant is None
            or grant.redirect_uri != form.get("redirect_uri")
            or not hmac.compare_digest(challenge.decode(), grant.challenge)
        ):
            wrong = {"error": "invalid_grant", "error_description": "wrong code or verifier"}
            return _json(start_response, "400 Bad Request", wrong)
        return _json(
            start_response,
            "200 OK",
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": LIFETIME,
                "id_token": self._id_token(grant),
            },
        )

    def _id_token(self, grant: _Grant) -> str:
        bad, user, now = self._misbehaving, grant.user, int(self.now)
        claims: dict[str, Any] = {
            "iss": f"{self.issuer}/other" if "wrong_iss" in bad else self.issuer,
            "sub": user.subject,
            "aud": "someone-else" if "wrong_aud" in bad else grant.client_id,
            "iat": now,
            "exp": now + LIFETIME,
            "name": user.name,
        }
        if user.email:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified and "unverified_email" not in bad
        if user.preferred_username:
            claims["preferred_username"] = user.preferred_username
        if "several_aud" in bad:
            claims["aud"] = [grant.client_id, "someone-else"]
        if "expired" in bad:
            claims["iat"], claims["exp"] = now - LIFETIME - 120, now - 120
        if "wrong_nonce" in bad:
            claims["nonce"] = secrets.token_urlsafe(32)
        elif "no_nonce" not in bad and grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if user.hd:
            claims["hd"] = user.hd
        if "alg_none" in bad:
            return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), ""])
        if "hs256" in bad:
            secret = OctKey.import_key(self.client_secret)
            return jwt.encode({"alg": "HS256", "kid": self._kid}, claims, secret, ["HS256"])
        key = self._new_key(self._kid) if "other_key" in bad else self._key
        return jwt.encode({"alg": self.alg, "kid": self._kid}, claims, key, [self.alg])

    def _new_key(self, kid: str) -> Key:
        """A fresh signing key for `self.alg`, made with `cryptography`."""
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if self.alg == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        params: KeyParameters = {"kid": kid, "use": "sig", "alg": self.alg}
        if self.alg == "RS256":
            return RSAKey.import_key(pem, params)
        return ECKey.import_key(pem, params)


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.fixture
def oidc_provider() -> Iterator[StandInProvider]:
    """A fresh stand-in provider for one test (client_secret_basic, RS256)."""
    with StandInProvider() as provider:
        yield provider
