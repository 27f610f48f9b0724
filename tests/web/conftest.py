"""Fixtures the web application's tests share."""

from tests.web.oidc_provider import oidc_provider

__all__ = ["oidc_provider"]
