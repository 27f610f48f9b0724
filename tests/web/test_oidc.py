"""OpenID Connect sign-in against the stand-in provider, over real HTTP on 127.0.0.1 and without
a browser: `begin`, follow the authorization URL up to the provider's redirect, `finish`. A
good sign-in gives the identity; every answer that does not check out is refused with a
message saying what failed.

The stand-in's clock starts in 2025 and its tokens live an hour, so a client that read the
machine's clock instead of the `now` it is given would refuse every token as expired.
"""

from __future__ import annotations

import dataclasses
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from archiver.errors import ConfigError, SignInError
from archiver.web.oidc import Identity, OidcClient, Pending, Provider
from tests.web.oidc_provider import Misbehaviour, StandInProvider

REDIRECT = "https://archiver.district.example/sign-in/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the browser would go back to us: the test takes the query instead


def authorize(url: str) -> dict[str, str]:
    """Ask the authorization URL as a browser would; the query the provider redirects back
    with (never followed: the redirect URI is not served)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            pytest.fail(f"the provider answered {answer.status} instead of redirecting")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.read()
        location = redirect.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return dict(parse_qsl(urlsplit(location).query))


def client_for(idp: StandInProvider, **settings: Any) -> OidcClient:
    provider = Provider(
        issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret, **settings
    )
    return OidcClient(provider, timeout=5)


def sign_in(
    idp: StandInProvider, client: OidcClient | None = None, at: float = 0, after: float = 0
) -> Identity:
    """A whole sign-in, begun `at` seconds after the provider's clock (which stamps the ID
    token), its callback coming `after` seconds later; the pending sign-in kept as JSON the way
    the web layer keeps it."""
    client = client or client_for(idp)
    url, pending = client.begin(REDIRECT, now=idp.now + at)
    params = authorize(url)
    return client.finish(params, Pending.from_json(pending.to_json()), now=idp.now + at + after)


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_good_sign_in_gives_the_identity(auth_method: Any, alg: Any) -> None:
    with StandInProvider(auth_method=auth_method, alg=alg) as idp:
        idp.next_user("Pat.Officer@District.example", "Pat Officer", subject="0042")
        client = client_for(idp)
        url, pending = client.begin(REDIRECT, now=idp.now)
        query = parse_qs(urlsplit(url).query)
        assert query["code_challenge_method"] == ["S256"]
        assert query["scope"] == ["openid email profile"]
        assert query["state"] == [pending.state] and query["nonce"] == [pending.nonce]
        assert query["redirect_uri"] == [REDIRECT] and query["client_id"] == [idp.client_id]
        assert pending.verifier not in url  # only its S256 challenge travels
        identity = client.finish(authorize(url), pending, now=idp.now + 30)
    assert identity == Identity(idp.issuer, "0042", "pat.officer@district.example", "Pat Officer")


def test_the_client_keeps_the_providers_documents_and_follows_a_key_rotation(
    oidc_provider: StandInProvider,
) -> None:
    client = client_for(oidc_provider)
    sign_in(oidc_provider, client)
    sign_in(oidc_provider, client)
    oidc_provider.rotate_key()
    assert sign_in(oidc_provider, client).email == "rao@district.example"
    assert oidc_provider.requests["/.well-known/openid-configuration"] == 1
    assert oidc_provider.requests["/jwks"] == 2  # once, and again for the new key's kid
    assert oidc_provider.requests["/token"] == 3


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("wrong_iss", "wrong issuer: the ID token is from '.*/other'"),
        ("wrong_aud", "wrong audience: the ID token is for 'someone-else'"),
        ("several_aud", r"wrong audience: the ID token was issued to None \(azp\)"),
        ("other_key", "bad signature: the ID token is not signed by the provider's key"),
        ("hs256", "bad signature: the ID token is signed with 'HS256'"),
        ("alg_none", "bad signature: the ID token is signed with 'none'"),
        ("expired", "expired: the ID token expired 120 s ago"),
        ("no_nonce", "nonce mismatch: the ID token carries no nonce"),
        ("wrong_nonce", "nonce mismatch: the ID token was not made for this sign-in"),
        ("unverified_email", "has not verified the address rao@district.example"),
        ("access_denied", r"provider error: .* refused the sign-in: access_denied \(the user"),
    ],
)
def test_an_answer_that_does_not_check_out_is_refused(
    oidc_provider: StandInProvider, kind: Misbehaviour, said: str
) -> None:
    oidc_provider.misbehave(kind)
    with pytest.raises(SignInError, match=said):
        sign_in(oidc_provider)


def test_a_token_expired_within_the_leeway_is_still_taken(
    oidc_provider: StandInProvider,
) -> None:
    """60 s of clock skew are forgiven: the stand-in's token lives an hour, and our clock is
    ahead of the provider's by an hour and 59 (then 61) seconds."""
    assert sign_in(oidc_provider, at=3600 + 59).subject
    with pytest.raises(SignInError, match="expired: the ID token expired 61 s ago"):
        sign_in(oidc_provider, at=3600 + 61)


def test_a_callback_for_another_sign_in_is_refused(oidc_provider: StandInProvider) -> None:
    client = client_for(oidc_provider)
    url, _mine = client.begin(REDIRECT, now=oidc_provider.now)
    _, theirs = client.begin(REDIRECT, now=oidc_provider.now)
    params = authorize(url)
    with pytest.raises(SignInError, match="state mismatch"):
        client.finish(params, theirs, now=oidc_provider.now)
    with pytest.raises(SignInError, match="state mismatch"):
        client.finish({**params, "state": ""}, theirs, now=oidc_provider.now)


def test_a_pending_sign_in_older_than_ten_minutes_is_refused(
    oidc_provider: StandInProvider,
) -> None:
    assert sign_in(oidc_provider, after=599).email == "rao@district.example"
    with pytest.raises(SignInError, match="sign-in expired: it was begun 601 s ago"):
        sign_in(oidc_provider, after=601)
    assert oidc_provider.requests["/token"] == 1  # the stale code was never exchanged


def test_a_wrong_verifier_and_a_replayed_code_are_refused_by_the_provider(
    oidc_provider: StandInProvider,
) -> None:
    client = client_for(oidc_provider)
    url, pending = client.begin(REDIRECT, now=oidc_provider.now)
    params = authorize(url)
    forged = dataclasses.replace(pending, verifier="x" * 64)
    with pytest.raises(SignInError, match="token endpoint refused the code: invalid_grant"):
        client.finish(params, forged, now=oidc_provider.now)
    url, pending = client.begin(REDIRECT, now=oidc_provider.now)
    params = authorize(url)
    client.finish(params, pending, now=oidc_provider.now)
    with pytest.raises(SignInError, match="token endpoint refused the code: invalid_grant"):
        client.finish(params, pending, now=oidc_provider.now)


def test_discovery_naming_another_issuer_is_refused(oidc_provider: StandInProvider) -> None:
    oidc_provider.misbehave("discovery_issuer")
    said = r"wrong issuer: discovery .* names issuer '.*/elsewhere'"
    with pytest.raises(SignInError, match=said):
        client_for(oidc_provider).begin(REDIRECT, now=oidc_provider.now)


def test_a_multi_tenant_configuration_is_refused(oidc_provider: StandInProvider) -> None:
    """Entra's common endpoint names the "{tenantid}" template as its issuer: any tenant's
    accounts would sign in. Only a tenant-specific issuer is taken."""
    oidc_provider.misbehave("tenant_template")
    with pytest.raises(SignInError, match="multi-tenant template"):
        client_for(oidc_provider).begin(REDIRECT, now=oidc_provider.now)
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    with pytest.raises(ConfigError, match="is a template: give the tenant-specific issuer"):
        OidcClient(Provider(template, "client", "secret"))


def test_the_hosted_domain_must_match_when_set(oidc_provider: StandInProvider) -> None:
    client = client_for(oidc_provider, hosted_domain="district.example")
    oidc_provider.next_user("pat@district.example", "Pat", hd="district.example")
    assert sign_in(oidc_provider, client).email == "pat@district.example"
    oidc_provider.next_user("pat@elsewhere.example", "Pat", hd="elsewhere.example")
    with pytest.raises(SignInError, match=r"wrong hosted domain: .* 'elsewhere\.example'"):
        sign_in(oidc_provider, client)
    oidc_provider.next_user("pat@gmail.example", "Pat")  # a personal account: no hd at all
    with pytest.raises(SignInError, match="wrong hosted domain: the account is in None"):
        sign_in(oidc_provider, client)


def test_the_email_claim_setting_decides_where_the_address_is(
    oidc_provider: StandInProvider,
) -> None:
    """Entra sends `preferred_username` (the sign-in name) and no `email` unless asked."""
    oidc_provider.next_user("", "Pat Officer", preferred_username="Pat@District.example")
    with pytest.raises(SignInError, match="no email address in 'email'"):
        sign_in(oidc_provider)
    client = client_for(oidc_provider, email_claim="preferred_username")
    assert sign_in(oidc_provider, client).email == "pat@district.example"


def test_an_issuer_without_tls_is_refused_unless_on_loopback() -> None:
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        OidcClient(Provider("http://idp.district.example", "client", "secret"))
    OidcClient(Provider("http://127.0.0.1:9", "client", "secret"))
    OidcClient(Provider("http://localhost:9", "client", "secret"))


def test_an_unreachable_provider_is_a_sign_in_error() -> None:
    client = OidcClient(Provider("http://127.0.0.1:9", "client", "secret"), timeout=2)
    with pytest.raises(SignInError, match=r"unreachable at http://127\.0\.0\.1:9/\.well-known"):
        client.begin(REDIRECT, now=0)


def test_a_pending_sign_in_survives_json_and_a_malformed_one_is_refused() -> None:
    pending = Pending("s", "n", "the-verifier", REDIRECT, 12.5)
    assert Pending.from_json(pending.to_json()) == pending
    assert "the-verifier" not in repr(pending)  # it stays out of logs
    for text in ("[", "[]", '{"state": "s"}', pending.to_json().replace("12.5", '"12.5"')):
        with pytest.raises(SignInError, match="pending sign-in"):
            Pending.from_json(text)


def test_the_client_secret_stays_out_of_logs() -> None:
    assert "hunter2" not in repr(Provider("https://idp.example", "client", "hunter2"))
