"""The GraphQL surface, in process."""

from __future__ import annotations

import gc

import pytest
from graphql import get_introspection_query

from helpers import GENERATE, bearer, generate_vars

pytestmark = pytest.mark.anyio

JOB_FIELDS = (
    "id status type provider service url videoUrl metadata creditCost createdAt startedAt "
    "completedAt progress duration webhookUrl error { code message } text avatarId voice "
    "language version aspectRatio resolution"
)


async def gql(client, query: str, variables: dict | None = None, key: str | None = "YOUR_API_KEY", **kw):
    headers = bearer(key) if key else {}
    return await client.post("/graphql", json={"query": query, "variables": variables, **kw}, headers=headers)


async def test_generate_with_the_documents_unified_shape(client):
    r = await gql(client, GENERATE, generate_vars(language="en", version="hedra-1.0"))
    assert r.status_code == 200, r.text
    job = r.json()["data"]["generate"]
    assert job["status"] == "processing"
    assert (job["type"], job["provider"], job["url"]) == ("AVATAR", "hedra", None)
    assert job["metadata"] == {"duration": 2.3, "width": 1280, "height": 720}
    assert job["creditCost"] == 54


async def test_generate_avatar_with_the_documents_flat_shape(client):
    r = await gql(
        client,
        "mutation GenerateAvatar($input: AvatarGenerationInput!) { generateAvatar(input: $input) { id status videoUrl } }",
        {"input": {"service": "hedra", "text": "Hello, welcome to our platform!", "avatarId": "professional-1", "voice": "en-US-neural"}},
    )
    assert r.status_code == 200, r.text
    job = r.json()["data"]["generateAvatar"]
    assert job["status"] == "processing" and job["videoUrl"] is None


async def test_job_reads_back_through_avatar_and_generation_with_all_fields(client):
    created = (await gql(client, GENERATE, generate_vars())).json()["data"]["generate"]
    for field in ("avatar", "generation"):
        r = await gql(client, f'{{ {field}(id: "{created["id"]}") {{ {JOB_FIELDS} }} }}')
        job = r.json()["data"][field]
        assert job["id"] == created["id"]
        assert job["status"] == "completed"  # instant speed
        assert job["url"] == job["videoUrl"] == f"http://mock.test/outputs/{created['id']}.mp4"
        assert job["progress"] == 1.0 and job["completedAt"] >= job["createdAt"]
        assert job["voice"] == "en-US-neural" and job["version"] == "hedra-1.0"
        assert job["aspectRatio"] == "16:9" and job["resolution"] == "720p"


async def test_webhook_url_is_accepted_at_top_level_and_in_options(client):
    v = generate_vars(webhookUrl="https://hooks.example/a")
    assert (await gql(client, GENERATE.replace("createdAt", "createdAt webhookUrl"), v)).json()["data"]["generate"]["webhookUrl"] == "https://hooks.example/a"
    v = generate_vars()
    v["input"]["webhookUrl"] = "https://hooks.example/b"
    assert (await gql(client, GENERATE.replace("createdAt", "createdAt webhookUrl"), v)).json()["data"]["generate"]["webhookUrl"] == "https://hooks.example/b"


async def test_aspect_ratio_and_resolution_set_the_frame_size(client):
    r = await gql(client, GENERATE, generate_vars(aspectRatio="9:16", resolution="1080p"))
    assert r.json()["data"]["generate"]["metadata"] == {"duration": 2.3, "width": 1080, "height": 1920}


async def test_generations_pages_newest_first_and_filters_by_status(client):
    ids = [(await gql(client, GENERATE, generate_vars(f"job number {i}"))).json()["data"]["generate"]["id"] for i in range(5)]
    cancelled = (await gql(client, f'mutation {{ cancelGeneration(id: "{ids[0]}") {{ status }} }}')).json()
    assert cancelled["errors"][0]["extensions"]["code"] == "JOB_ALREADY_FINISHED"
    q = "query($after: String) { generations(first: 2, after: $after) { nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } totalCount } }"
    seen, after = [], None
    while True:
        page = (await gql(client, q, {"after": after})).json()["data"]["generations"]
        seen += [n["id"] for n in page["nodes"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(ids))
    done = (await gql(client, "{ generations(status: completed) { totalCount } }")).json()
    assert done["data"]["generations"]["totalCount"] == 5
    none = (await gql(client, "{ generations(status: failed) { totalCount nodes { id } } }")).json()
    assert none["data"]["generations"] == {"totalCount": 0, "nodes": []}


async def test_jobs_of_another_account_are_not_visible(client):
    job_id = (await gql(client, GENERATE, generate_vars())).json()["data"]["generate"]["id"]
    r = await gql(client, f'{{ avatar(id: "{job_id}") {{ id }} }}', key="test-pro")
    assert r.status_code == 404
    assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql(client, "{ generations { totalCount } }", key="test-pro")
    assert listed.json()["data"]["generations"]["totalCount"] == 0


async def test_account_catalog_and_estimate(client):
    r = await gql(client, "{ account { id name plan { name requestsPerMinute concurrentJobs dailyJobs } credits { balance available held } } }", key="test-free")
    account = r.json()["data"]["account"]
    assert account["plan"] == {"name": "Free", "requestsPerMinute": 10, "concurrentJobs": 1, "dailyJobs": 100}
    assert account["credits"] == {"balance": 1000, "available": 1000, "held": 0}
    r = await gql(client, '{ catalog { avatars { id name portraitUrl } voices(language: "vi") { id language } } }')
    catalog = r.json()["data"]["catalog"]
    assert "professional-1" in [a["id"] for a in catalog["avatars"]]
    assert {v["language"] for v in catalog["voices"]} == {"vi-VN"}
    r = await gql(client, '{ estimateCost(text: "Hello, welcome to our platform!") { duration credits tier } }')
    assert r.json()["data"]["estimateCost"] == {"duration": 2.3, "credits": 54, "tier": "short"}


async def test_cancel_releases_the_job_and_is_idempotent(app, client):
    await client.patch("/_mock/clock", json={"speed": "realtime"})
    job_id = (await gql(client, GENERATE, generate_vars())).json()["data"]["generate"]["id"]
    credits = "{ account { credits { available held } } }"
    assert (await gql(client, credits)).json()["data"]["account"]["credits"] == {"available": 10000 - 54, "held": 54}
    for _ in range(2):
        r = await gql(client, f'mutation {{ cancelGeneration(id: "{job_id}") {{ status completedAt url }} }}')
        job = r.json()["data"]["cancelGeneration"]
        assert job["status"] == "cancelled" and job["completedAt"] and job["url"] is None
    assert (await gql(client, credits)).json()["data"]["account"]["credits"] == {"available": 10000, "held": 0}


async def test_introspection_needs_no_key_but_everything_else_does(client):
    r = await gql(client, "{ __schema { mutationType { name } } }", key=None)
    assert r.json() == {"data": {"__schema": {"mutationType": {"name": "Mutation"}}}}
    r = await gql(client, "{ account { name } }", key=None)
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await gql(client, "{ __typename }", key="nope")
    assert r.status_code == 401


async def test_x_api_key_works_on_graphql_and_a_disabled_account_is_forbidden(client):
    r = await client.post("/graphql", json={"query": "{ account { name } }"}, headers={"X-API-Key": "test-pro"})
    assert r.json()["data"]["account"]["name"] == "Pro tester"
    r = await gql(client, "{ account { name } }", key="test-disabled")
    assert r.status_code == 403 and r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        (lambda v: v["input"]["input"].update(foo=1), "input.foo", "unknown field 'foo'"),
        (lambda v: v["input"]["input"].update(text=5), "input.text", "String cannot represent"),
        (lambda v: v["input"].pop("input"), "input", "required field 'input'"),
        (lambda v: v["input"].update(type="VIDEO"), "type", "'VIDEO'"),
        (lambda v: v["input"].update(provider="runway"), "provider", "unknown provider 'runway'"),
        (lambda v: v["input"]["input"].update(avatarId="ghost"), "avatarId", "unknown avatarId 'ghost'"),
        (lambda v: v["input"]["options"].update(voice="klingon"), "voice", "unknown voice 'klingon'"),
        (lambda v: v["input"]["options"].update(language="fr"), "language", "does not match voice"),
        (lambda v: v["input"]["options"].update(version="hedra-9"), "version", "unknown version"),
        (lambda v: v["input"]["options"].update(resolution="4k"), "resolution", "unknown resolution"),
        (lambda v: v["input"]["options"].update(webhookUrl="ftp://x"), "webhookUrl", "http or https"),
        (lambda v: v["input"]["options"].update(webhookUrl="https://u:p@x.test/"), "webhookUrl", "credentials"),
        (lambda v: v["input"]["input"].update(text="   "), "text", "must not be empty"),
        (lambda v: v["input"]["input"].update(text="word " * 400), "text", "too long"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(client, mutate, field, fragment):
    variables = generate_vars()
    mutate(variables)
    r = await gql(client, GENERATE, variables)
    assert r.status_code == 400, r.text
    error = r.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert fragment in error["message"]


async def test_syntax_and_validation_errors_are_400s_with_locations(client):
    r = await gql(client, "{ avatar(id: ")
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert r.json()["errors"][0]["locations"] == [{"line": 1, "column": 14}]
    r = await gql(client, '{ avatar(id: "x") { nope } }')
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"{not json", "application/json", "malformed JSON"),
        (b'{"query": "{ __typename }"}', "text/plain", "Content-Type must be application/json"),
        (b"[]", "application/json", "batched operations"),
        (b'"query"', "application/json", "JSON object"),
        (b'{"query": 5}', "application/json", "'query' must be a non-empty string"),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json", "'variables' must be a JSON object"),
        (b'{"query": "{ __typename }", "extra": 1}', "application/json", "unknown key 'extra'"),
        (b"", "application/json", "empty"),
    ],
)
async def test_malformed_requests_are_400s(client, body, content_type, fragment):
    r = await client.post("/graphql", content=body, headers={"content-type": content_type, **bearer()})
    assert r.status_code == 400, r.text
    assert fragment in r.json()["errors"][0]["message"]


async def test_get_runs_queries_but_not_mutations(client):
    r = await client.get("/graphql", params={"query": "{ account { name } }"}, headers=bearer())
    assert r.json()["data"]["account"]["name"] == "Document example"
    r = await client.get("/graphql", params={"query": 'mutation { cancelGeneration(id: "x") { id } }'}, headers=bearer())
    assert r.status_code == 400
    r = await client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "<html" in r.text.lower()


async def test_several_operations_need_an_operation_name(client):
    doc = "query A { account { name } } query B { catalog { voices { id } } }"
    r = await gql(client, doc)
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "operationName"
    r = await gql(client, doc, operationName="A")
    assert r.json()["data"]["account"]["name"] == "Document example"


async def test_deep_wide_and_huge_queries_are_refused_with_a_400(client):
    deep = "{ account { " + "plan { " * 1 + "name } } }"
    assert (await gql(client, deep)).status_code == 200
    nested = "fragment F on Generation { id deliveries { attempts { number } } }\n" + "{ generations { edges { node { ...F deliveries { payload attempts { at } } } } } }"
    assert (await gql(client, nested)).status_code == 200
    too_deep = "{ generations { edges { node { " + "deliveries { " * 10 + "id" + " }" * 13 + " }"
    r = await gql(client, too_deep)
    assert r.status_code == 400 and "nested more than 12 levels" in r.json()["errors"][0]["message"]
    too_deep_introspection = "{ __schema { types { fields { type { " + "ofType { " * 20 + "name" + " }" * 24 + " }"
    r = await gql(client, too_deep_introspection)
    assert r.status_code == 400 and "nested more than 20 levels" in r.json()["errors"][0]["message"]
    wide = "{ " + " ".join(f"a{i}: account {{ name }}" for i in range(300)) + " }"
    r = await gql(client, wide)
    assert r.status_code == 400 and "more than 500 fields" in r.json()["errors"][0]["message"]
    r = await gql(client, "{ account { name } }" + " " * 100_001)
    assert r.status_code == 400 and "longer than" in r.json()["errors"][0]["message"]
    cyclic = "fragment A on Account { ...B } fragment B on Account { ...A } { account { ...A } }"
    r = await gql(client, cyclic)
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_the_full_introspection_query_of_explorers_is_answered(client):
    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True,
    )
    r = await gql(client, query)
    assert r.status_code == 200, r.text
    names = {t["name"] for t in r.json()["data"]["__schema"]["types"]}
    assert {"Generation", "GenerateInput", "AvatarGenerationInput"} <= names


async def test_an_explicit_null_page_size_means_the_default(client):
    r = await gql(client, "{ generations(first: null) { totalCount } account { credits { entries(last: null) { kind } } } }")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["generations"]["totalCount"] >= 0


@pytest.mark.anyio
async def test_graphql_requests_leave_nothing_for_the_garbage_collector(client):
    """Cyclic garbage is freed only by collections, whose pauses every request then shares."""
    made = (await client.post("/graphql", json={"query": GENERATE, "variables": generate_vars()}, headers=bearer())).json()
    poll = {"query": "query($id: ID!) { avatar(id: $id) { id status progress } }", "variables": {"id": made["data"]["generate"]["id"]}}
    assert (await client.post("/graphql", json=poll, headers=bearer())).status_code == 200  # parsed and validated once
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(10):
            assert (await client.post("/graphql", json=poll, headers=bearer())).status_code == 200
        gc.collect()
        ours = [o for o in gc.garbage if type(o).__module__.startswith(("graphql", "mockserver", "starlette"))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert ours == [], sorted({type(o).__qualname__ for o in ours})
