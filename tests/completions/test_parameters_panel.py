"""The session page's parameters panel: sliders whose bounds come from the registry, and the
advanced parameters inside one closed "Advanced" disclosure."""

import pytest
from django.test.html import Element, parse_html

from playground.completions import parameters
from playground.completions.parameters import Level, Parameter, Type, Widget

from ..factories import make_session
from ..sessions.helpers import form_data

SLIDERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")

pytestmark = pytest.mark.django_db


def page_of(client, session) -> Element:
    return parse_html(client.get(f"/sessions/{session.pk}/").text)


def elements(node, predicate):
    """Every element under node (itself included) that predicate holds for, in order."""
    found = [node] if isinstance(node, Element) and predicate(node) else []
    for child in getattr(node, "children", []):
        found += elements(child, predicate)
    return found


def attrs(element: Element) -> dict:
    return dict(element.attributes)


def by_attr(node, name, value):
    return elements(node, lambda e: attrs(e).get(name) == value)


def by_attr_present(node, name):
    return elements(node, lambda e: name in attrs(e))


def the(node, name, value) -> Element:
    [element] = by_attr(node, name, value)
    return element


@pytest.fixture
def session(alice, alice_provider):
    return make_session(alice, alice_provider, prompt="Once upon a time")


def test_the_four_sampling_numbers_are_the_registrys_sliders():
    assert [p.name for p in parameters.registered() if p.widget is Widget.SLIDER] == list(SLIDERS)


@pytest.mark.parametrize("name", SLIDERS)
def test_each_slider_and_its_number_take_the_registrys_bounds(alice_client, session, name):
    parameter = parameters.get(name)
    field = the(page_of(alice_client, session), "data-field", name)

    [slider] = elements(field, lambda e: e.name == "input" and attrs(e).get("type") == "range")
    number = the(field, "id", f"id_{name}")
    for control in (slider, number):
        assert float(attrs(control)["min"]) == parameter.minimum
        assert float(attrs(control)["max"]) == parameter.maximum
        assert attrs(control)["step"] == attrs(number)["step"]
    assert attrs(number)["type"] == "number"
    assert attrs(number)["name"] == name
    # The slider only helps: the number is what the form posts and the session keeps.
    assert "name" not in attrs(slider)
    assert attrs(slider)["aria-label"] == f"{name} slider"
    assert attrs(slider)["aria-controls"] == f"id_{name}"


def test_an_unset_slider_rests_on_the_apis_default_greyed(alice_client, session):
    field = the(page_of(alice_client, session), "data-field", "temperature")
    [slider] = elements(field, lambda e: attrs(e).get("type") == "range")

    assert attrs(slider)["value"] == "1"
    assert "data-unset" in attrs(slider)
    assert form_data(alice_client.get(f"/sessions/{session.pk}/").text)["temperature"] == ""


def test_a_set_slider_shows_the_saved_value(alice, alice_provider, alice_client):
    session = make_session(alice, alice_provider, parameters={"temperature": "0.35"})
    field = the(page_of(alice_client, session), "data-field", "temperature")
    [slider] = elements(field, lambda e: attrs(e).get("type") == "range")

    assert attrs(slider)["value"] == "0.35"
    assert "data-unset" not in attrs(slider)
    assert attrs(the(field, "id", "id_temperature"))["value"] == "0.35"


def test_a_number_parameter_registered_later_gets_its_slider_from_its_bounds(alice_client, session):
    min_p = Parameter(
        name="min_p", type=Type.NUMBER, minimum=0, maximum=1, default="0.05", help_text="min p"
    )
    with parameters.registered_while(min_p, after="top_p"):
        field = the(page_of(alice_client, session), "data-field", "min_p")
    [slider] = elements(field, lambda e: attrs(e).get("type") == "range")

    bounds_and_rest = (attrs(slider)["min"], attrs(slider)["max"], attrs(slider)["value"])
    assert bounds_and_rest == ("0", "1", "0.05")


def test_the_advanced_parameters_are_inside_a_closed_disclosure_after_the_everyday_ones(
    alice_client, session
):
    page = page_of(alice_client, session)
    [details] = elements(page, lambda e: "advanced-parameters" in attrs(e).get("class", ""))
    advanced = [p.name for p in parameters.registered() if p.level is Level.ADVANCED]

    assert advanced == ["prompt_json", "include_usage", "logprobs", "extra_body"]
    inside = [attrs(e)["data-field"] for e in by_attr_present(details, "data-field")]
    assert inside == advanced
    [summary] = elements(details, lambda e: e.name == "summary")
    assert "Advanced" in str(summary)
    assert "open" not in attrs(details)
    panel = the(page, "aria-label", "Parameters")
    everywhere = [attrs(e)["data-field"] for e in by_attr_present(panel, "data-field")]
    # Everyday first, then the advanced ones: none of the everyday ones is inside.
    assert everywhere[-len(advanced) :] == advanced
    assert "temperature" in everywhere[: -len(advanced)]
    # The probability switch sits over the editor, not in the panel.
    assert "show_probabilities" not in everywhere


def test_the_disclosure_is_open_when_an_advanced_parameter_is_set(
    alice, alice_provider, alice_client
):
    session = make_session(alice, alice_provider, parameters={"extra_body": '{"top_k": 40}'})
    [details] = elements(
        page_of(alice_client, session), lambda e: "advanced-parameters" in attrs(e).get("class", "")
    )

    assert "open" in attrs(details)
