"""A session's form state: saved as typed from the form's post, given back as its initial data."""

import pytest
from django.conf import settings
from django.utils.datastructures import MultiValueDict

from playground.completions.forms import CompletionForm
from playground.sessions.models import PlaygroundSession
from playground.sessions.state import (
    MAX_LIST_ITEMS,
    MAX_VALUE_CHARS,
    StateTooLarge,
    data_from_state,
    form_initial,
    parameters_from_data,
    save_state,
    session_state,
)

from ..factories import make_provider
from .helpers import PARAMETERS

pytestmark = pytest.mark.django_db


def posted(**fields) -> MultiValueDict:
    """The completion form as the page posts it: every field, lists as repeated fields."""
    data = MultiValueDict()
    for name, value in {**PARAMETERS, **fields}.items():
        if value is None:
            continue
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def test_every_parameter_is_kept_as_typed_even_when_invalid(alice):
    data = posted(temperature="warm", max_tokens="-3", extra_body="{not json")

    parameters = parameters_from_data(data)

    assert parameters["temperature"] == "warm"
    assert parameters["max_tokens"] == "-3"
    assert parameters["extra_body"] == "{not json"


def test_an_unchecked_checkbox_is_saved_as_off(alice):
    # A browser posts nothing at all for an unchecked box.
    parameters = parameters_from_data(posted(stream=None, echo="on"))

    assert parameters["stream"] == ""
    assert parameters["echo"] == "on"


def test_fields_the_form_does_not_have_are_not_saved(alice):
    parameters = parameters_from_data(posted(action="run", session="4", csrfmiddlewaretoken="x"))

    assert not {"action", "session", "csrfmiddlewaretoken"} & set(parameters)


def test_saving_copies_prompt_model_and_provider_and_the_title_follows(alice, provider):
    session = PlaygroundSession(owner=alice)

    save_state(session, posted(prompt="Dear diary", model="m-2", provider=str(provider.pk)), alice)

    assert session.prompt == "Dear diary"
    assert session.model == "m-2"
    assert session.provider == provider
    assert session.title == "Dear diary"


def test_another_users_provider_is_never_saved(alice, bob, provider):
    bobs = make_provider(owner=bob, name="Bob's")
    session = PlaygroundSession(owner=alice, provider=provider)

    save_state(session, posted(provider=str(bobs.pk)), alice)

    assert session.provider == provider


@pytest.mark.parametrize(
    "fields",
    [
        {"prompt": "x" * (settings.PLAYGROUND_MAX_PROMPT_CHARS + 1)},
        {"suffix": "x" * (settings.PLAYGROUND_MAX_PROMPT_CHARS + 1)},
        {"user": "x" * (MAX_VALUE_CHARS + 1)},
        {"stop": ["a"] * (MAX_LIST_ITEMS + 1)},
        {"logit_bias_token": ["1" * (MAX_VALUE_CHARS + 1)]},
    ],
    ids=["prompt", "suffix", "value", "list_length", "list_item"],
)
def test_a_state_too_large_to_save_is_refused(alice, fields):
    session = PlaygroundSession(owner=alice, prompt="kept")

    with pytest.raises(StateTooLarge):
        save_state(session, posted(**fields), alice)

    assert session.prompt == "kept"


def test_the_initial_data_gives_back_checkboxes_as_booleans(alice):
    session = PlaygroundSession(owner=alice, parameters={**PARAMETERS, "stream": "", "echo": "on"})

    initial = form_initial(session)

    assert initial["stream"] is False
    assert initial["echo"] is True
    assert initial["include_usage"] is False


def test_a_session_never_saved_streams_by_default(alice):
    assert form_initial(PlaygroundSession(owner=alice))["stream"] is True


def test_the_initial_data_gives_back_stop_sequences_and_logit_bias_rows(alice):
    session = PlaygroundSession(
        owner=alice,
        parameters={
            **PARAMETERS,
            "stop": ["\\n", "", "END", ""],
            "logit_bias_token": ["50256", "", "13", ""],
            "logit_bias_bias": ["-100", "", "", ""],
        },
    )

    initial = form_initial(session)

    assert initial["stop"] == ["\n", "END"]
    assert initial["logit_bias"] == [("50256", "-100"), ("13", "")]


def test_the_form_renders_what_was_saved(alice, provider):
    session = PlaygroundSession(owner=alice)
    save_state(
        session,
        posted(
            provider=str(provider.pk),
            model="m-3",
            prompt="Hi",
            temperature="0.3",
            stream=None,
            stop=["\\n\\n", "", "", ""],
            prompt_json="",
            extra_body='{"top_k": 40}',
        ),
        alice,
    )

    form = CompletionForm(initial=form_initial(session), user=alice)

    assert form["temperature"].value() == "0.3"
    assert form["stream"].value() is False
    assert form["extra_body"].value() == '{"top_k": 40}'
    assert 'value="\\n\\n"' in str(form["stop"])
    assert form["model"].value() == "m-3"


def test_the_state_a_run_keeps_restores_the_same_parameters(alice, provider):
    session = PlaygroundSession(owner=alice)
    original = posted(
        provider=str(provider.pk),
        prompt="Once",
        temperature="1.5",
        stream=None,
        logit_bias_token=["7", "", "", ""],
        logit_bias_bias=["5", "", "", ""],
    )
    save_state(session, original, alice)
    state = session_state(session)

    restored = PlaygroundSession(owner=alice)
    save_state(restored, data_from_state(state), alice)

    assert restored.parameters == session.parameters
    assert restored.prompt == "Once"
    assert restored.provider == provider
