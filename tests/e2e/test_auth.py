"""Who is calling: bearer tokens at the door, SMART scopes, the patient compartment, "me"."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gateway.fhir import Ref
from tests.conftest import Gateway, running_gateway, settings_for
from tests.e2e.builders import practitioner, put_all, referenced, role, task
from tests.oidc_provider import OidcProvider

QUERY = "query { tasks(first: 50) { totalCount nodes { id } } }"
TASK = 'query { task(id: "t1") { id description owner { id } } }'


def use(gateway: Gateway, token: str) -> None:
    gateway.client.headers["Authorization"] = f"Bearer {token}"


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = body.get("errors") or []
    return errors


async def post(gateway: Gateway, query: str, variables: dict[str, Any] | None = None) -> Any:
    return await gateway.client.post("/graphql", json={"query": query, "variables": variables})


# --- the door -------------------------------------------------------------------------


def bad_tokens(provider: OidcProvider) -> dict[str, tuple[str | None, str]]:
    """Each kind of unusable token, with the reason the gateway must give."""
    stray = provider.new_key("RS256", kid="never-published")
    claims = provider.claims
    return {
        "missing": (None, "missing"),
        "expired": (provider.mint(claims(exp=1_000_000_000, iat=999_999_000)), "expired"),
        "not yet valid": (provider.mint(claims(nbf=4_000_000_000)), "invalid"),
        "wrong issuer": (provider.mint(claims(iss="https://evil.example")), "invalid"),
        "wrong audience": (provider.mint(claims(aud="https://other.example")), "invalid"),
        "bad signature": (provider.mint()[:-6] + "AAAAAA", "invalid"),
        "alg none": (provider.mint_unsigned(), "invalid"),
        "HS256 with the public key": (provider.mint_hmac_with_public_key(), "invalid"),
        "unknown kid": (provider.mint(kid=stray), "invalid"),
        "no fhirUser": (provider.mint(claims(fhirUser=None)), "invalid"),
        "not a bearer": ("Basic dXNlcjpwYXNz", "missing"),
        "an ID token": (provider.mint(header={"typ": "id_token+jwt"}), "invalid"),
        "patient scopes, no patient": (provider.mint(claims(scope="patient/Task.rs")), "invalid"),
        "exp out of range": (provider.mint(claims(exp=10**20)), "invalid"),
    }


async def test_every_unusable_token_is_401_without_a_fhir_request(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    for kind, (token, reason) in bad_tokens(oidc_provider).items():
        headers = {}
        if token is not None:
            headers["Authorization"] = token if token.startswith("Basic") else f"Bearer {token}"
        with secured.counting():
            response = await secured.client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.status_code == 401, kind
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), kind
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}, kind
        assert "data" not in response.json()
        assert secured.requests == [], kind


async def test_a_rotated_key_is_picked_up_on_its_first_token(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    use(secured, oidc_provider.mint())
    assert (await post(secured, QUERY)).status_code == 200
    before = oidc_provider.jwks_requests
    oidc_provider.rotate()
    use(secured, oidc_provider.mint())
    response = await post(secured, QUERY)
    assert response.status_code == 200, response.text
    assert oidc_provider.jwks_requests == before + 1


async def test_the_graphiql_page_needs_no_token_but_the_raw_fhir_api_does(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    page = await secured.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    if secured.name == "embedded":
        refused = await secured.client.get("/fhir/R4/Task")
        assert refused.status_code == 401
        use(secured, oidc_provider.mint())
        assert (await secured.client.get("/fhir/R4/Task")).status_code == 200


async def test_no_token_reaches_the_logs(
    secured: Gateway, oidc_provider: OidcProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good, expired = oidc_provider.mint(), oidc_provider.mint(oidc_provider.claims(exp=1))
    for token in (good, expired, good + "x"):
        use(secured, token)
        await post(secured, QUERY)
    for token in (good, expired):
        assert token not in caplog.text
        assert token.split(".")[1] not in caplog.text


# --- scopes ---------------------------------------------------------------------------

SCOPED = [
    # (scopes, operation, the scope reported missing, or None when allowed)
    ("user/Task.rs", QUERY, None),
    ("user/Task.r", QUERY, "user/Task.s"),
    ("user/Task.s", TASK, "user/Task.r"),
    ("user/Task.read", TASK, None),
    ("user/Task.read", 'mutation { releaseTask(id: "t1") { id } }', "user/Task.u"),
    ("user/Task.rs", 'mutation { updateTask(id: "t1", input: {priority: STAT}) { id } }',
     "user/Task.u"),
    ("user/Task.cruds", 'mutation { updateTask(id: "t1", input: {priority: STAT}) { id } }',
     None),
    ("user/Task.u", 'mutation { createTask(input: {}) { id } }', "user/Task.c"),
    ("user/*.write", 'mutation { createTask(input: {}) { id } }', None),
    ("user/Task.*", 'mutation { addTaskNote(id: "t1", text: "hi") { id } }', None),
    ("system/Task.rs", 'mutation { releaseTask(id: "t1") { id } }', "system/Task.u"),
]  # fmt: skip


@pytest.mark.parametrize(("scopes", "operation", "missing"), SCOPED)
async def test_each_operation_needs_its_scope(
    secured: Gateway,
    oidc_provider: OidcProvider,
    scopes: str,
    operation: str,
    missing: str | None,
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1", **{"for": "Patient/pt1"})])
    use(secured, oidc_provider.mint(oidc_provider.claims(scope=f"openid {scopes}")))
    with secured.counting():
        body = (await post(secured, operation)).json()
    if missing is None:
        assert errors_of(body) == []
        return
    assert errors_of(body)[0]["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "scope",
        "scope": missing,
    }
    assert secured.requests == []


async def test_a_reference_the_token_may_not_read_is_null_and_the_rest_stands(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1", owner="Practitioner/ada")])
    use(secured, oidc_provider.mint(oidc_provider.claims(scope="user/Task.rs")))
    body = (await post(secured, TASK)).json()
    assert body["data"]["task"] == {"id": "t1", "description": None, "owner": None}
    [error] = errors_of(body)
    assert error["path"] == ["task", "owner"]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "scope",
        "scope": "user/Practitioner.r",
    }


async def test_scope_checks_can_be_turned_off(
    request: pytest.FixtureRequest, oidc_provider: OidcProvider
) -> None:
    settings = settings_for(
        "embedded",
        auth_mode="jwt",
        auth_issuer=oidc_provider.issuer,
        auth_audience=oidc_provider.audience,
        auth_require_scopes=False,
    )
    async with running_gateway(settings, "embedded") as gateway:
        await put_all(gateway.fhir, [*referenced(), task("t1")])
        use(gateway, oidc_provider.mint(oidc_provider.claims(scope="openid")))
        body = (await post(gateway, 'mutation { releaseTask(id: "t1") { id } }')).json()
        assert errors_of(body) == []


# --- the patient compartment ----------------------------------------------------------

PATIENT_SCOPES = (
    "openid fhirUser launch/patient patient/Task.rus patient/Practitioner.r"
    " patient/PractitionerRole.s"
)


def compartment_data() -> list[dict[str, Any]]:
    """pt1's Tasks (one it owns), pt2's Tasks, and a tree that crosses the two."""
    return [
        *referenced(),
        role("r-nurse", "ada", "224535009"),
        task("mine", **{"for": "Patient/pt1"}, owner="Patient/pt1", status="requested"),
        task("mine-2", **{"for": "Patient/pt1"}, owner="Practitioner/ada"),
        task("theirs", **{"for": "Patient/pt2"}, status="requested"),
        task("root", **{"for": "Patient/pt2"}),
        task("child-mine", **{"for": "Patient/pt1"}, parent="root"),
        task("grand-theirs", **{"for": "Patient/pt2"}, parent="child-mine"),
        task("grand-mine", **{"for": "Patient/pt1"}, parent="child-mine"),
        task("queued", **{"for": "Patient/pt1"}, role="224535009", status="ready"),
        task("queued-2", **{"for": "Patient/pt2"}, role="224535009", status="ready"),
    ]


def patient_token(provider: OidcProvider) -> str:
    return provider.mint(
        provider.claims(fhirUser="Patient/pt1", patient="pt1", scope=PATIENT_SCOPES)
    )


async def test_a_patient_token_lists_only_its_patients_tasks_in_the_fhir_query(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, compartment_data())
    use(secured, patient_token(oidc_provider))
    with secured.counting():
        data = (await post(secured, QUERY)).json()["data"]["tasks"]
    ids = sorted(node["id"] for node in data["nodes"])
    assert ids == ["child-mine", "grand-mine", "mine", "mine-2", "queued"]
    assert data["totalCount"] == 5
    searches = [r for r in secured.requests if r.url.path.endswith("/Task")]
    assert searches and all(r.url.params.get("patient") == "Patient/pt1" for r in searches)


async def test_a_patient_token_sees_nothing_of_another_patient(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, compartment_data())
    use(secured, patient_token(oidc_provider))
    query = """
    query {
      theirs: task(id: "theirs") { id }
      viaResource: resource(reference: "Task/theirs") { id }
      child: task(id: "child-mine") {
        partOf { id }
        subtasks { id }
        subtaskTree { task { id } }
      }
      queue: taskQueue(practitioner: "ada") { nodes { id } }
    }
    """
    body = (await post(secured, query)).json()
    assert errors_of(body) == []
    data = body["data"]
    assert data["theirs"] is None and data["viaResource"] is None
    assert data["child"] == {
        "partOf": [],
        "subtasks": [{"id": "grand-mine"}],
        "subtaskTree": [{"task": {"id": "grand-mine"}}],
    }
    assert data["queue"]["nodes"] == [{"id": "queued"}]


async def test_a_patient_may_change_the_status_of_its_own_task_and_nothing_else(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, compartment_data())
    use(secured, patient_token(oidc_provider))
    done = "mutation($id: ID!) { updateTaskStatus(id: $id, status: ACCEPTED) { id status } }"

    ok = (await post(secured, done, {"id": "mine"})).json()
    assert ok["data"]["updateTaskStatus"] == {"id": "mine", "status": "ACCEPTED"}

    refusals = [
        (done, {"id": "mine-2"}, {"code": "FORBIDDEN", "reason": "patient"}),
        (done, {"id": "theirs"}, {"code": "NOT_FOUND"}),
        ('mutation { addTaskNote(id: "mine", text: "hi") { id } }', {},
         {"code": "FORBIDDEN", "reason": "patient"}),
        ('mutation { createTask(input: {}) { id } }', {},
         {"code": "FORBIDDEN", "reason": "scope", "scope": "patient/Task.c"}),
    ]  # fmt: skip
    for document, variables, extensions in refusals:
        with secured.counting():
            body = (await post(secured, document, variables)).json()
        assert errors_of(body)[0]["extensions"] == extensions, document
        assert secured.writes == []
    stored = await secured.fhir.read(Ref("Task", "theirs"))
    assert stored["status"] == "requested"


# --- acting as the caller -------------------------------------------------------------


async def test_me_and_my_tasks(secured: Gateway, oidc_provider: OidcProvider) -> None:
    await put_all(
        secured.fhir,
        [*referenced(), task("a", owner="Practitioner/p1"), task("b", owner="Practitioner/ada")],
    )
    use(secured, oidc_provider.mint())
    query = """
    query {
      me { reference patient scopes resource { ... on Practitioner { id } } }
      myTasks { nodes { id } }
    }
    """
    data = (await post(secured, query)).json()["data"]
    assert data["me"] == {
        "reference": "Practitioner/p1",
        "patient": None,
        "scopes": ["openid", "fhirUser", "user/Task.cruds", "user/Practitioner.rs"],
        "resource": {"id": "p1"},
    }
    assert data["myTasks"]["nodes"] == [{"id": "a"}]
    other = 'query { myTasks(filter: {owner: "Practitioner/ada"}) { nodes { id } } }'
    error = errors_of((await post(secured, other)).json())[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.owner"}


async def test_claiming_acts_as_the_caller(secured: Gateway, oidc_provider: OidcProvider) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1"), task("t2")])
    use(secured, oidc_provider.mint())
    claim = "mutation($id: ID!) { claimTask(id: $id) { ownerReference { reference } } }"
    data = (await post(secured, claim, {"id": "t1"})).json()["data"]
    assert data["claimTask"]["ownerReference"] == {"reference": "Practitioner/p1"}

    for_ada = 'mutation { claimTask(id: "t2", owner: {reference: "Practitioner/ada"}) { id } }'
    with secured.counting():
        body = (await post(secured, for_ada)).json()
    assert errors_of(body)[0]["extensions"] == {"code": "FORBIDDEN", "reason": "owner"}
    assert secured.requests == []
    assigned = 'mutation { assignTask(id: "t2", owner: {reference: "Practitioner/ada"}) { id } }'
    assert errors_of((await post(secured, assigned)).json()) == []


async def test_the_caller_is_the_requester_and_the_note_author(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, referenced())
    use(secured, oidc_provider.mint())
    created = (await post(secured, "mutation { createTask(input: {}) { id } }")).json()
    task_id = created["data"]["createTask"]["id"]
    note = 'mutation($id: ID!) { addTaskNote(id: $id, text: "called") { id } }'
    assert errors_of((await post(secured, note, {"id": task_id})).json()) == []
    stored = await secured.fhir.read(Ref("Task", task_id))
    assert stored["requester"] == {"reference": "Practitioner/p1"}
    assert stored["note"][0]["authorReference"] == {"reference": "Practitioner/p1"}


async def test_the_queue_without_a_practitioner_is_the_callers(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(
        secured.fhir,
        [
            *referenced(),
            role("r-p1", "p1", "224535009"),
            task("q1", role="224535009", status="ready"),
        ],
    )
    query = "query { taskQueue { nodes { id } } }"
    # The queue searches the practitioner's roles: the token lists PractitionerRole too.
    scope = "openid fhirUser user/Task.s user/Practitioner.r user/PractitionerRole.rs"
    use(secured, oidc_provider.mint(oidc_provider.claims(scope=scope)))
    assert (await post(secured, query)).json()["data"]["taskQueue"]["nodes"] == [{"id": "q1"}]
    # A PractitionerRole caller reads its practitioner's queue.
    role_caller = oidc_provider.claims(fhirUser="PractitionerRole/r-p1", scope=scope)
    use(secured, oidc_provider.mint(role_caller))
    assert (await post(secured, query)).json()["data"]["taskQueue"]["nodes"] == [{"id": "q1"}]


async def test_anonymous_callers_have_no_tasks_of_their_own(gateway: Gateway) -> None:
    response = await post(gateway, "query { me { reference scopes } myTasks { totalCount } }")
    assert response.status_code == 200
    body = response.json()
    [error] = errors_of(body)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "missing"}
    me = (await post(gateway, "query { me { reference patient scopes } }")).json()["data"]
    assert me == {"me": {"reference": None, "patient": None, "scopes": []}}


async def test_a_system_token_acts_for_no_one(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1"), practitioner("p9")])
    use(
        secured,
        oidc_provider.mint(oidc_provider.claims(fhirUser=None, scope="system/Task.cruds")),
    )
    body = (await post(secured, 'mutation { claimTask(id: "t1") { id } }')).json()
    assert errors_of(body)[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "owner"}
    me = (await post(secured, "query { me { reference } }")).json()["data"]["me"]
    assert me == {"reference": None}


async def test_a_patient_creates_no_tasks_even_with_the_scope(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, referenced())
    claims = oidc_provider.claims(fhirUser="Patient/pt1", patient="pt1", scope="patient/*.cruds")
    use(secured, oidc_provider.mint(claims))
    with secured.counting():
        body = (await post(secured, "mutation { createTask(input: {}) { id } }")).json()
    assert errors_of(body)[0]["extensions"] == {"code": "FORBIDDEN", "reason": "patient"}
    assert secured.requests == []


async def test_a_patient_token_reads_no_other_patients_data_of_any_type(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    observation = {
        "resourceType": "Observation",
        "id": "obs-theirs",
        "status": "final",
        "code": {"text": "HbA1c"},
        "subject": {"reference": "Patient/pt2"},
    }
    mine = {**observation, "id": "obs-mine", "subject": {"reference": "Patient/pt1"}}
    await put_all(secured.fhir, [*referenced(), observation, mine])
    claims = oidc_provider.claims(fhirUser="Patient/pt1", patient="pt1", scope="patient/*.rs")
    use(secured, oidc_provider.mint(claims))
    query = """
    query {
      theirs: resource(reference: "Observation/obs-theirs") { id }
      mine: resource(reference: "Observation/obs-mine") { id }
      other: resource(reference: "Patient/pt2") { id }
      doctor: resource(reference: "Practitioner/ada") { id }
    }
    """
    data = (await post(secured, query)).json()["data"]
    assert data == {
        "theirs": None,
        "mine": {"id": "obs-mine"},
        "other": None,
        "doctor": {"id": "ada"},
    }


async def test_a_portal_patient_without_a_patient_claim_is_kept_to_its_own_tasks(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, compartment_data())
    claims = oidc_provider.claims(fhirUser="Patient/pt1", scope="user/Task.rs")
    use(secured, oidc_provider.mint(claims))
    nodes = (await post(secured, QUERY)).json()["data"]["tasks"]["nodes"]
    assert sorted(node["id"] for node in nodes) == [
        "child-mine",
        "grand-mine",
        "mine",
        "mine-2",
        "queued",
    ]


async def test_a_patient_may_not_move_the_clinics_funnel_step(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, compartment_data())
    use(secured, patient_token(oidc_provider))
    document = (
        'mutation { updateTaskStatus(id: "mine", status: ACCEPTED, '
        'businessStatus: {text: "done"}) { id } }'
    )
    with secured.counting():
        body = (await post(secured, document)).json()
    assert errors_of(body)[0]["extensions"] == {"code": "FORBIDDEN", "reason": "patient"}
    assert secured.count("PUT") == 0 and secured.count("POST") == 0


async def test_the_raw_fhir_api_refuses_patient_tokens(oidc_provider: OidcProvider) -> None:
    settings = settings_for(
        "embedded",
        auth_mode="jwt",
        auth_issuer=oidc_provider.issuer,
        auth_audience=oidc_provider.audience,
    )
    async with running_gateway(settings, "embedded") as embedded:
        use(embedded, patient_token(oidc_provider))
        response = await embedded.client.get("/fhir/R4/Task")
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": "patient"}
        use(embedded, oidc_provider.mint())
        assert (await embedded.client.get("/fhir/R4/Task")).status_code == 200
