"""GET /sessions/import/schema.json: the import format as JSON Schema, which is also its
documentation, so it is served to anyone."""

import json

import pytest
from jsonschema import Draft202012Validator

from playground.completions import parameters
from playground.sessions.transfer import InvalidExport, parse_export

pytestmark = pytest.mark.django_db


def test_it_is_a_draft_2020_12_schema_served_to_anyone(client):
    response = client.get("/sessions/import/schema.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_parameter_of_the_registry_is_in_it(client):
    schema = client.get("/sessions/import/schema.json").json()

    saved = schema["$defs"]["parameters"]["properties"]
    for parameter in parameters.registered():
        if parameter.name not in ("model", "prompt"):
            assert saved[parameter.name]["description"] == parameter.help_text
    assert saved["logit_bias"]["items"]["maxItems"] == 2
    assert saved["logit_bias_token"]["deprecated"] is True


def test_the_prompt_cap_is_the_configured_one(client, settings):
    settings.PLAYGROUND_MAX_PROMPT_CHARS = 1234

    schema = client.get("/sessions/import/schema.json").json()

    assert schema["$defs"]["promptText"]["maxLength"] == 1234
    assert schema["$defs"]["parameters"]["properties"]["suffix"]["maxLength"] == 1234


def test_an_export_is_valid_by_the_schema_alone(alice_client, session, run, client):
    schema = client.get("/sessions/import/schema.json").json()
    exported = alice_client.get(f"/sessions/{session.pk}/export/").json()

    Draft202012Validator(schema).validate(exported)


def test_a_file_the_schema_refuses_is_refused_with_the_path(alice_client, session, run):
    exported = alice_client.get(f"/sessions/{session.pk}/export/").json()
    exported["runs"][0]["choices"][0]["index"] = -1

    with pytest.raises(InvalidExport) as refused:
        parse_export(json.dumps(exported).encode())

    assert str(refused.value) == (
        "runs[0].choices[0].index must be a whole number from 0 to 2147483647."
    )


def test_it_rejects_post(client):
    assert client.post("/sessions/import/schema.json").status_code == 405
