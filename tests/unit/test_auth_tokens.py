"""Authenticator with jwt mode against the suite's OpenID provider: who each token makes the caller,
and which tokens are refused with which reason."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from gateway.auth import Authenticator
from gateway.auth.caller import ANONYMOUS, Caller
from gateway.auth.keys import KeysUnavailableError
from gateway.config import Settings
from gateway.errors import UnauthenticatedError
from gateway.fhir.references import Ref
from tests.conftest import free_port
from tests.oidc_provider import OidcProvider


class Clock:
    """Wall time for token claims and a monotonic time for key refetches, moved by the test."""

    def __init__(self) -> None:
        self.wall = float(int(time.time()))
        self.monotonic = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.monotonic += seconds

    @property
    def now(self) -> int:
        return int(self.wall)


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


def authenticator_for(
    http: httpx2.AsyncClient, clock: Clock, *, issuer: str, audience: str, **extra: Any
) -> Authenticator:
    settings = Settings(auth_mode="jwt", auth_issuer=issuer, auth_audience=audience, **extra)
    return Authenticator(
        settings, http, clock=lambda: clock.wall, monotonic=lambda: clock.monotonic
    )


@pytest.fixture
def authenticator(
    oidc_provider: OidcProvider, http: httpx2.AsyncClient, clock: Clock
) -> Authenticator:
    return authenticator_for(
        http, clock, issuer=oidc_provider.issuer, audience=oidc_provider.audience
    )


async def refused(authenticator: Authenticator, token: str) -> UnauthenticatedError:
    """The error a bearer token is refused with; it never repeats the token."""
    with pytest.raises(UnauthenticatedError) as info:
        await authenticator.authenticate(f"Bearer {token}")
    error = info.value
    assert error.graphql_extensions()["code"] == "UNAUTHENTICATED"
    assert token not in str(error)
    for part in token.split("."):
        if len(part) > 8:
            assert part not in str(error)
    return error


async def test_a_practitioners_token_names_the_caller(
    authenticator: Authenticator, oidc_provider: OidcProvider, clock: Clock
) -> None:
    claims = oidc_provider.claims(exp=clock.now + 300)
    caller = await authenticator.authenticate(f"Bearer {oidc_provider.mint(claims)}")
    assert caller == Caller(
        reference=Ref("Practitioner", "p1"),
        scopes=("openid", "fhirUser", "user/Task.cruds", "user/Practitioner.rs"),
        client_id="clinic-app",
        subject="user-1",
        expires_at=datetime.fromtimestamp(clock.now + 300, UTC),
    )
    assert caller.context == "user"
    assert not caller.anonymous


@pytest.mark.parametrize("patient", ["123", "Patient/123"])
async def test_a_patient_facing_token_names_its_patient(
    authenticator: Authenticator, oidc_provider: OidcProvider, patient: str
) -> None:
    claims = oidc_provider.claims(
        fhirUser="Patient/123", patient=patient, scope="launch/patient patient/Task.rs"
    )
    caller = await authenticator.authenticate(f"Bearer {oidc_provider.mint(claims)}")
    assert caller.reference == Ref("Patient", "123")
    assert caller.patient == Ref("Patient", "123")
    assert caller.context == "patient"


async def test_an_absolute_fhir_user_url_names_its_last_two_segments(
    authenticator: Authenticator, oidc_provider: OidcProvider
) -> None:
    claims = oidc_provider.claims(fhirUser="https://ehr.example/fhir/R4/PractitionerRole/r-7")
    caller = await authenticator.authenticate(f"Bearer {oidc_provider.mint(claims)}")
    assert caller.reference == Ref("PractitionerRole", "r-7")


async def test_a_system_token_needs_no_fhir_user(
    authenticator: Authenticator, oidc_provider: OidcProvider
) -> None:
    claims = oidc_provider.claims(
        fhirUser=None, client_id=None, azp="backend-service", scope="system/Task.rs"
    )
    caller = await authenticator.authenticate(f"Bearer {oidc_provider.mint(claims)}")
    assert caller.reference is None
    assert caller.client_id == "backend-service"
    assert caller.context == "system"


async def test_ec_keys_a_list_audience_and_scp_claims_are_accepted(
    authenticator: Authenticator, oidc_provider: OidcProvider
) -> None:
    kid = oidc_provider.rotate("ES256")
    claims = oidc_provider.claims(
        aud=["https://other.example", oidc_provider.audience],
        scope=None,
        scp=["user/Task.rs", "user/Task.u"],
    )
    caller = await authenticator.authenticate(f"bearer {oidc_provider.mint(claims, kid=kid)}")
    assert caller.scopes == ("user/Task.rs", "user/Task.u")


async def test_the_user_claim_is_configurable(
    oidc_provider: OidcProvider, http: httpx2.AsyncClient, clock: Clock
) -> None:
    authenticator = authenticator_for(
        http,
        clock,
        issuer=oidc_provider.issuer,
        audience=oidc_provider.audience,
        auth_user_claim="profile",
    )
    claims = oidc_provider.claims(fhirUser=None, profile="Practitioner/p2")
    caller = await authenticator.authenticate(f"Bearer {oidc_provider.mint(claims)}")
    assert caller.reference == Ref("Practitioner", "p2")


Mint = Callable[[OidcProvider, Clock], str]


def forged_signature(provider: OidcProvider, clock: Clock) -> str:
    """Signed by a key the issuer never published, under the published key's kid."""
    impostor = provider.new_key("RS256", kid="impostor")
    return provider.mint(kid=impostor, header={"kid": provider.default_kid})


def tampered_payload(provider: OidcProvider, clock: Clock) -> str:
    header, _, signature = provider.mint().split(".")
    _, payload, _ = provider.mint(provider.claims(fhirUser="Practitioner/admin")).split(".")
    return f"{header}.{payload}.{signature}"


BAD_TOKENS: dict[str, tuple[Mint, str]] = {
    "expired": (lambda p, c: p.mint(p.claims(iat=c.now - 600, exp=c.now - 61)), "expired"),
    "not yet valid": (lambda p, c: p.mint(p.claims(nbf=c.now + 61)), "invalid"),
    "wrong issuer": (lambda p, c: p.mint(p.claims(iss="https://other.example")), "invalid"),
    "wrong audience": (lambda p, c: p.mint(p.claims(aud="https://other.example")), "invalid"),
    "audience list without ours": (
        lambda p, c: p.mint(p.claims(aud=["https://a.example", "https://b.example"])),
        "invalid",
    ),
    "no expiry": (lambda p, c: p.mint(p.claims(exp=None)), "invalid"),
    "forged signature": (forged_signature, "invalid"),
    "tampered payload": (tampered_payload, "invalid"),
    "alg none": (lambda p, c: p.mint_unsigned(), "invalid"),
    "HS256 signed with the public key": (lambda p, c: p.mint_hmac_with_public_key(), "invalid"),
    "unpublished kid": (lambda p, c: p.mint(kid=p.new_key("RS256")), "invalid"),
    "user token without fhirUser": (lambda p, c: p.mint(p.claims(fhirUser=None)), "invalid"),
    "fhirUser not a user": (lambda p, c: p.mint(p.claims(fhirUser="Organization/o1")), "invalid"),
    "fhirUser not a reference": (lambda p, c: p.mint(p.claims(fhirUser="p1")), "invalid"),
    "patient claim not a Patient": (
        lambda p, c: p.mint(p.claims(patient="Practitioner/p1")),
        "invalid",
    ),
    "not a JWT": (lambda p, c: "not-a-jwt", "invalid"),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_bad_tokens_are_refused_with_their_reason_and_never_logged(
    kind: str,
    authenticator: Authenticator,
    oidc_provider: OidcProvider,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mint, reason = BAD_TOKENS[kind]
    token = mint(oidc_provider, clock)
    error = await refused(authenticator, token)
    assert error.extensions == {"reason": reason}
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Bearer", "missing"),
        ("Bearer   ", "missing"),
        ("Basic dXNlcjpwYXNz", "missing"),
        ("Bearer one two", "invalid"),
    ],
)
async def test_authorization_headers_without_one_bearer_token(
    authenticator: Authenticator, oidc_provider: OidcProvider, header: str | None, reason: str
) -> None:
    with pytest.raises(UnauthenticatedError) as info:
        await authenticator.authenticate(header)
    assert info.value.extensions == {"reason": reason}
    assert oidc_provider.jwks_requests == 0


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_scheme_is_case_insensitive(
    authenticator: Authenticator, oidc_provider: OidcProvider, scheme: str
) -> None:
    caller = await authenticator.authenticate(f"{scheme}  {oidc_provider.mint()} ")
    assert caller.reference == Ref("Practitioner", "p1")


@pytest.mark.parametrize(
    ("claim", "offset", "reason"),
    [
        ("exp", -59, None),
        ("exp", -61, "expired"),
        ("nbf", 60, None),
        ("nbf", 61, "invalid"),
        ("iat", 60, None),
        ("iat", 61, "invalid"),
    ],
)
async def test_clock_skew_of_sixty_seconds_and_no_more(
    authenticator: Authenticator,
    oidc_provider: OidcProvider,
    clock: Clock,
    claim: str,
    offset: int,
    reason: str | None,
) -> None:
    claims = oidc_provider.claims(**{"iat": clock.now - 120, claim: clock.now + offset})
    token = oidc_provider.mint(claims)
    if reason is None:
        assert (await authenticator.authenticate(f"Bearer {token}")).subject == "user-1"
    else:
        assert (await refused(authenticator, token)).extensions == {"reason": reason}


async def test_rotated_keys_are_fetched_again_at_most_once_a_minute(
    authenticator: Authenticator,
    oidc_provider: OidcProvider,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    old_token = oidc_provider.mint()
    assert (await authenticator.authenticate(f"Bearer {old_token}")).subject == "user-1"
    assert (oidc_provider.discovery_requests, oidc_provider.jwks_requests) == (1, 1)

    # The provider signs with a key it has not published yet: one refetch, still unknown.
    clock.advance(61)
    early_kid = oidc_provider.new_key("RS256", kid="next")
    early = oidc_provider.mint(kid=early_kid)
    assert (await refused(authenticator, early)).extensions == {"reason": "invalid"}
    assert oidc_provider.jwks_requests == 2

    # Now it rotates, but another unknown kid within the minute does not fetch again.
    oidc_provider.publish(early_kid)
    oidc_provider.rotate()
    clock.advance(30)
    new_token = oidc_provider.mint()
    assert (await refused(authenticator, new_token)).extensions == {"reason": "invalid"}
    assert (await refused(authenticator, early)).extensions == {"reason": "invalid"}
    assert oidc_provider.jwks_requests == 2

    # A minute after the last fetch, concurrent requests share one refetch.
    clock.advance(31)
    callers = await asyncio.gather(
        *(authenticator.authenticate(f"Bearer {new_token}") for _ in range(5))
    )
    assert {caller.subject for caller in callers} == {"user-1"}
    assert oidc_provider.jwks_requests == 3

    # The dropped key no longer verifies, and discovery was read only once.
    assert (await refused(authenticator, old_token)).extensions == {"reason": "invalid"}
    assert (oidc_provider.discovery_requests, oidc_provider.jwks_requests) == (1, 3)
    for token in (old_token, early, new_token):
        assert token not in caplog.text


async def test_keys_are_fetched_again_after_an_hour(
    authenticator: Authenticator, oidc_provider: OidcProvider, clock: Clock
) -> None:
    def fresh() -> dict[str, Any]:
        return oidc_provider.claims(iat=clock.now, exp=clock.now + 300)

    await authenticator.authenticate(f"Bearer {oidc_provider.mint(fresh())}")
    clock.advance(3599)
    await authenticator.authenticate(f"Bearer {oidc_provider.mint(fresh())}")
    assert oidc_provider.jwks_requests == 1
    clock.advance(1)
    # A key the provider withdrew stops verifying once the hour is up, without an unknown kid.
    old_kid = oidc_provider.default_kid
    oidc_provider.rotate()
    token = oidc_provider.mint(fresh(), kid=old_kid)
    assert (await refused(authenticator, token)).extensions == {"reason": "invalid"}
    assert oidc_provider.jwks_requests == 2


async def test_a_configured_jwks_url_skips_discovery(
    oidc_provider: OidcProvider, http: httpx2.AsyncClient, clock: Clock
) -> None:
    authenticator = authenticator_for(
        http,
        clock,
        issuer=oidc_provider.issuer,
        audience=oidc_provider.audience,
        auth_jwks_url=oidc_provider.issuer + "/jwks",
    )
    await authenticator.authenticate(f"Bearer {oidc_provider.mint()}")
    assert (oidc_provider.discovery_requests, oidc_provider.jwks_requests) == (0, 1)


async def test_an_unreachable_provider_is_unavailable_not_a_bad_token(
    http: httpx2.AsyncClient, clock: Clock, oidc_provider: OidcProvider
) -> None:
    authenticator = authenticator_for(
        http, clock, issuer=f"http://127.0.0.1:{free_port()}", audience=oidc_provider.audience
    )
    token = oidc_provider.mint()
    with pytest.raises(KeysUnavailableError) as info:
        await authenticator.authenticate(f"Bearer {token}")
    assert info.value.graphql_extensions() == {"code": "UPSTREAM_UNAVAILABLE"}
    assert token not in str(info.value)


async def test_mode_none_makes_everyone_anonymous_without_asking_the_provider(
    oidc_provider: OidcProvider, http: httpx2.AsyncClient
) -> None:
    authenticator = Authenticator(Settings(auth_mode="none"), http)
    assert not authenticator.enabled
    for header in (None, "Bearer garbage", f"Bearer {oidc_provider.mint()}"):
        assert await authenticator.authenticate(header) is ANONYMOUS
    assert ANONYMOUS.anonymous and ANONYMOUS.reference is None and ANONYMOUS.scopes == ()
    assert oidc_provider.jwks_requests == 0
