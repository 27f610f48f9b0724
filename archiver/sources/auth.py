"""Credentials for an IMAP source: a password, or an OAuth2 access token for SASL XOAUTH2.

Tokens come from the vendors' own libraries, installed as extras: msal for Microsoft 365
(client credentials for an Entra app with IMAP.AccessAsApp; M365 accepts no password login)
and google-auth for Google Workspace (a service account with domain-wide delegation). They are
imported only here, and only when a source uses them. A fresh token is asked for each cycle;
the libraries cache and renew them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import AuthError, ConfigError
from archiver.platform import credentials
from archiver.settings import SourceSettings

M365_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"


@dataclass(frozen=True)
class Login:
    """How to log in: `mechanism` is "password" or "xoauth2"; `secret` is never logged."""

    mechanism: str
    username: str
    secret: str

    def __repr__(self) -> str:
        return f"Login({self.mechanism!r}, {self.username!r}, secret=***)"


def _extra(module: str, extra: str, source: SourceSettings) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            [
                f"source {source.name}: auth = {source.auth!r} needs the {module} library: "
                f"pip install 'archiver[{extra}]'"
            ]
        ) from None


class Authenticator:
    """Produces a Login for one source; keep one per source to let token caches work."""

    def __init__(self, source: SourceSettings, config_dir: Path) -> None:
        self.source = source
        self.secret_path = credentials.locate(source.secret_file, config_dir)
        self._client: Any = None

    def secret_problem(self) -> str | None:
        """Why the secret file cannot be used, or None."""
        problem = credentials.exposure_problem(self.secret_path)
        return f"source {self.source.name}: secret_file {problem}" if problem else None

    def _read_secret(self) -> str:
        return credentials.read_secret(self.secret_path, f"source {self.source.name}: secret_file")

    def login(self) -> Login:
        """Credentials for the next connection; raises ConfigError, AuthError."""
        s = self.source
        if s.auth == "password":
            return Login("password", s.username, self._read_secret())
        if s.auth == "xoauth2-m365":
            return Login("xoauth2", s.username, self._m365_token())
        return Login("xoauth2", s.username, self._google_token())

    def _m365_token(self) -> str:
        s = self.source
        if self._client is None:
            msal = _extra("msal", "m365", s)
            self._client = msal.ConfidentialClientApplication(
                s.client_id,
                authority=f"https://login.microsoftonline.com/{s.tenant_id}",
                client_credential=self._read_secret(),
            )
        try:
            result = self._client.acquire_token_for_client(scopes=[M365_SCOPE])
        except (OSError, ValueError, RuntimeError) as exc:  # requests' errors are OSErrors
            raise AuthError(f"source {s.name}: cannot reach Microsoft Entra: {exc}") from None
        if "access_token" not in result:
            reason = result.get("error_description") or result.get("error") or "no token"
            raise AuthError(f"source {s.name}: Microsoft Entra refused the app: {reason}")
        return str(result["access_token"])

    def _google_token(self) -> str:
        s = self.source
        if self._client is None:
            service_account = _extra("google.oauth2.service_account", "google", s)
            self._read_secret()  # the same checks as every secret file
            try:
                creds = service_account.Credentials.from_service_account_file(
                    str(self.secret_path), scopes=[GOOGLE_SCOPE]
                )
            except (ValueError, KeyError) as exc:
                raise ConfigError(
                    [
                        f"source {s.name}: secret_file {self.secret_path} is not a Google "
                        f"service-account key: {exc}"
                    ]
                ) from None
            self._client = creds.with_subject(s.username)
        requests = _extra("google.auth.transport.requests", "google", s)
        failures = (_extra("google.auth.exceptions", "google", s).GoogleAuthError, OSError)
        try:
            self._client.refresh(requests.Request())
        except failures as exc:  # RefreshError and TransportError are GoogleAuthErrors
            raise AuthError(f"source {s.name}: Google refused the service account: {exc}") from None
        return str(self._client.token)
