"""OpenID Connect sign-in (DESIGN.md 13): the Authorization Code flow with PKCE against the
district's Microsoft Entra ID or Google Workspace tenant, with no web framework in it.

`OidcClient.begin` makes the authorization URL and the `Pending` sign-in that the web layer keeps
in the browser's pre-sign-in session; `OidcClient.finish` takes the callback's query parameters
and that `Pending`, exchanges the code, checks the ID token and gives the `Identity`, or raises
`SignInError` naming what failed (for the log and the admin: the user is shown a generic page).
Authlib builds the requests (authorization URL, S256 challenge, the token request with the
client authentication discovery names), joserfc verifies the ID token's signature, and the
claims are checked here against the caller's clock (`now`), never the machine's.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from archiver.errors import ConfigError, SignInError

PENDING_TTL = 600.0  # seconds a sign-in may take between the redirect and the callback
LEEWAY = 60.0  # clock skew allowed between us and the provider, on exp, iat and nbf
# Asymmetric signatures only: `none` proves nothing, and HS* would be keyed by the client
# secret, which is not the provider's alone.
ALGORITHMS = ("RS256", "ES256")
# Client authentication at the token endpoint, in our order of preference.
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Provider:
    """One identity provider, as the settings give it.

    `issuer` is the tenant-specific issuer (Entra: https://login.microsoftonline.com/TENANT-ID/v2.0;
    Google: https://accounts.google.com); `hosted_domain`, when set, must equal the ID token's
    `hd` claim (Google Workspace's domain); `email_claim` names the claim holding the address
    (Entra without an `email` claim: `preferred_username`); `ca_file` is a CA bundle to trust
    instead of the system's. Plain http is allowed only for an issuer on 127.0.0.1 or localhost
    (tests)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    hosted_domain: str = ""
    email_claim: str = "email"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    ca_file: str | None = None


@dataclass(frozen=True)
class Pending:
    """A sign-in between the redirect to the provider and its callback: kept in the browser's
    pre-sign-in session (which must be signed, so a browser cannot choose its own state)."""

    state: str
    nonce: str
    verifier: str = field(repr=False)
    redirect_uri: str
    created: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Pending:
        try:
            data = json.loads(text)
        except ValueError:
            raise SignInError("the pending sign-in is not JSON") from None
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise SignInError(f"the pending sign-in must hold exactly {sorted(names)}")
        created = data["created"]
        if isinstance(created, bool) or not isinstance(created, int | float):
            raise SignInError("the pending sign-in's created time is not a number")
        strings = [data[n] for n in names - {"created"}]
        if not all(isinstance(value, str) and value for value in strings):
            raise SignInError("the pending sign-in has an empty or non-text value")
        return cls(
            state=data["state"],
            nonce=data["nonce"],
            verifier=data["verifier"],
            redirect_uri=data["redirect_uri"],
            created=float(created),
        )


@dataclass(frozen=True)
class Identity:
    """Who signed in: `issuer` and `subject` name the account for good (an address can be
    reassigned); `email` is lower-cased; `name` may be empty."""

    issuer: str
    subject: str
    email: str
    name: str


class OidcClient:
    """Signs people in at one provider. Keep one per provider: it caches the provider's
    discovery document and its signing keys (fetched again when a token names a key it does not
    hold, as after a key rotation). Safe to share between threads."""

    def __init__(self, provider: Provider, timeout: float = 10.0) -> None:
        if "{" in provider.issuer:
            raise ConfigError(
                [
                    f"OIDC issuer {provider.issuer!r} is a template: give the tenant-specific "
                    "issuer (Entra: https://login.microsoftonline.com/TENANT-ID/v2.0)"
                ]
            )
        if not _secure(provider.issuer, loopback_ok=True):
            raise ConfigError([f"OIDC issuer {provider.issuer!r} must be an https:// URL"])
        self.provider = provider
        self.timeout = timeout
        self._loopback = urlsplit(provider.issuer).scheme == "http"
        self._lock = threading.Lock()
        self._config: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def begin(self, redirect_uri: str, now: float) -> tuple[str, Pending]:
        """The URL to send the browser to, and the sign-in to keep until it comes back."""
        config = self._discovery()
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),  # 86 characters; RFC 7636 asks 43 to 128
            redirect_uri=redirect_uri,
            created=now,
        )
        with self._session(config) as session:
            url, _ = session.create_authorization_url(
                config["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.verifier,
                nonce=pending.nonce,
                redirect_uri=redirect_uri,
            )
        return str(url), pending

    def finish(self, params: Mapping[str, str], pending: Pending, now: float) -> Identity:
        """Check the callback's query `params` against `pending`, exchange the code and check
        the ID token; the signed-in identity, or SignInError saying what failed."""
        error = params.get("error")
        if error:
            said = params.get("error_description")
            raise SignInError(
                f"provider error: the identity provider refused the sign-in: {error}"
                + (f" ({said})" if said else "")
            )
        if not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
            raise SignInError(
                "state mismatch: the callback does not belong to this browser's sign-in"
            )
        age = now - pending.created
        if age > PENDING_TTL:
            raise SignInError(
                f"sign-in expired: it was begun {age:.0f} s ago, more than "
                f"{PENDING_TTL:.0f} s allowed"
            )
        code = params.get("code")
        if not code:
            raise SignInError("the callback carries no authorization code")
        id_token = self._exchange(code, pending)
        claims = self._verified_claims(id_token)
        return self._identity(claims, pending, now)

    # --- the provider's documents -----------------------------------------------------------

    def _discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._config is None:
                self._config = self._read_discovery()
            return self._config

    def _read_discovery(self) -> dict[str, Any]:
        issuer = self.provider.issuer
        config = self._get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        found = config.get("issuer")
        if isinstance(found, str) and "{" in found:
            raise SignInError(
                f"wrong issuer: discovery gives the multi-tenant template {found!r}; configure "
                "the tenant-specific issuer"
            )
        if found != issuer:
            raise SignInError(
                f"wrong issuer: discovery at {issuer} names issuer {found!r}, not the configured "
                f"{issuer!r}"
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            url = config.get(name)
            if not isinstance(url, str) or not _secure(url, loopback_ok=self._loopback):
                raise SignInError(f"discovery of {issuer} gives no https {name}: {url!r}")
        _auth_method(config)  # refuse a provider we cannot authenticate to now, not at callback
        return config

    def _signing_keys(self, refresh: bool) -> KeySet:
        jwks_uri = self._discovery()["jwks_uri"]
        with self._lock:
            if self._keys is None or refresh:
                document: Any = self._get_json(jwks_uri)  # checked by the import
                try:
                    self._keys = KeySet.import_key_set(document)
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise SignInError(
                        f"the provider's keys at {jwks_uri} cannot be read: {exc}"
                    ) from None
            return self._keys

    def _get_json(self, url: str) -> dict[str, Any]:
        with self._session(None) as session:
            try:
                response = session.get(url, timeout=self.timeout, withhold_token=True)
                data = response.json() if response.status_code == 200 else None
            except (OSError, ValueError) as exc:  # requests' errors are OSErrors
                raise SignInError(f"the identity provider is unreachable at {url}: {exc}") from None
        if response.status_code != 200:
            raise SignInError(
                f"the identity provider answered HTTP {response.status_code} at {url}"
            )
        if not isinstance(data, dict):
            raise SignInError(f"the identity provider's answer at {url} is not a JSON object")
        return data

    def _session(self, config: Mapping[str, Any] | None) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.provider.client_id,
            client_secret=self.provider.client_secret,
            token_endpoint_auth_method=_auth_method(config) if config else None,
            scope=" ".join(self.provider.scopes),
            code_challenge_method="S256",
        )
        session.verify = self.provider.ca_file or True
        return session

    # --- the callback -------------------------------------------------------------------------

    def _exchange(self, code: str, pending: Pending) -> str:
        config = self._discovery()
        url = config["token_endpoint"]
        with self._session(config) as session:
            try:
                token = session.fetch_token(
                    url,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=pending.redirect_uri,
                    code_verifier=pending.verifier,
                    timeout=self.timeout,
                )
            except AuthlibBaseError as exc:
                raise SignInError(
                    f"provider error: the token endpoint refused the code: {exc.error}"
                    + (f" ({exc.description})" if exc.description else "")
                ) from None
            except (OSError, ValueError) as exc:
                raise SignInError(f"the token endpoint {url} failed: {exc}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInError("the token endpoint's answer carries no ID token")
        return id_token

    def _verified_claims(self, id_token: str) -> dict[str, Any]:
        header = _unverified_header(id_token)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise SignInError(
                f"bad signature: the ID token is signed with {alg!r}; only "
                f"{', '.join(ALGORITHMS)} are accepted"
            )
        try:
            try:
                token = jwt.decode(id_token, self._signing_keys(False), algorithms=ALGORITHMS)
            except InvalidKeyIdError:  # the provider may have rotated its keys since we looked
                token = jwt.decode(id_token, self._signing_keys(True), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            raise SignInError(
                f"bad signature: the provider publishes no key {header.get('kid')!r} for {alg}"
            ) from None
        except BadSignatureError:
            raise SignInError(
                "bad signature: the ID token is not signed by the provider's key"
            ) from None
        except (JoseError, ValueError) as exc:
            raise SignInError(f"bad signature: the ID token cannot be verified: {exc}") from None
        claims: dict[str, Any] = token.claims
        return claims

    def _identity(self, claims: Mapping[str, Any], pending: Pending, now: float) -> Identity:
        p = self.provider
        if claims.get("iss") != p.issuer:
            raise SignInError(
                f"wrong issuer: the ID token is from {claims.get('iss')!r}, not {p.issuer!r}"
            )
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if p.client_id not in audiences:
            raise SignInError(
                f"wrong audience: the ID token is for {aud!r}, not this client ({p.client_id!r})"
            )
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != p.client_id:
            raise SignInError(
                f"wrong audience: the ID token was issued to {azp!r} (azp), not this client "
                f"({p.client_id!r})"
            )
        exp, iat, nbf = _time(claims, "exp"), _time(claims, "iat"), claims.get("nbf")
        if now > exp + LEEWAY:
            raise SignInError(f"expired: the ID token expired {now - exp:.0f} s ago")
        if iat > now + LEEWAY:
            raise SignInError(f"the ID token is issued {iat - now:.0f} s in the future")
        if nbf is not None and _time(claims, "nbf") > now + LEEWAY:
            raise SignInError(f"the ID token is not valid before {nbf} (now {now:.0f})")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), pending.nonce.encode()
        ):
            raise SignInError(
                "nonce mismatch: the ID token "
                + ("carries no nonce" if nonce is None else "was not made for this sign-in")
            )
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise SignInError("the ID token names no subject (sub)")
        email = claims.get(p.email_claim)
        if not isinstance(email, str) or "@" not in email:
            raise SignInError(f"the ID token carries no email address in {p.email_claim!r}")
        if claims.get("email_verified") in (False, "false"):
            raise SignInError(f"the provider has not verified the address {email}")
        if p.hosted_domain and str(claims.get("hd", "")).lower() != p.hosted_domain.lower():
            raise SignInError(
                f"wrong hosted domain: the account is in {claims.get('hd')!r}, not "
                f"{p.hosted_domain!r}"
            )
        name = claims.get("name")
        return Identity(
            issuer=p.issuer,
            subject=subject,
            email=email.lower(),
            name=name if isinstance(name, str) else "",
        )


def _secure(url: str, *, loopback_ok: bool) -> bool:
    """https, or (only for a loopback issuer, in tests) http on 127.0.0.1 or localhost."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return loopback_ok and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _auth_method(config: Mapping[str, Any]) -> str:
    """The client authentication to use at the token endpoint: basic unless the provider
    offers only post (OIDC Discovery's default, when it names none, is basic)."""
    offered = config.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    for method in AUTH_METHODS:
        if method in offered:
            return method
    raise SignInError(
        f"the provider offers no client authentication we use ({', '.join(AUTH_METHODS)}): "
        f"{offered!r}"
    )


def _unverified_header(id_token: str) -> dict[str, Any]:
    """The JOSE header, read before the signature is checked, to refuse an algorithm early."""
    try:
        encoded = id_token.partition(".")[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error):
        raise SignInError("the ID token is not a JWT") from None
    if not isinstance(header, dict) or id_token.count(".") != 2:
        raise SignInError("the ID token is not a signed JWT (JWS compact serialisation)")
    return header


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignInError(f"the ID token's {name!r} is missing or not a time")
    return float(value)
