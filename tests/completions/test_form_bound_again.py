"""A completion form bound again to other data keeps its own data, errors and cleaned data."""

import pytest
from django.utils.datastructures import MultiValueDict

from playground.completions.forms import CompletionForm

pytestmark = pytest.mark.django_db


def data(provider, **fields) -> MultiValueDict:
    posted = {"provider": str(provider.pk), "model": "m", "prompt": "Hi", **fields}
    return MultiValueDict({name: [value] for name, value in posted.items()})


def test_each_form_bound_again_validates_its_own_data(alice, provider):
    made = CompletionForm(data(provider), user=alice)
    cold = made.bound_again(data(provider, temperature="0.1"))
    wrong = made.bound_again(data(provider, temperature="9"))
    hot = made.bound_again(data(provider, temperature="1.9"))

    assert cold.is_valid() and hot.is_valid()
    assert not wrong.is_valid()
    assert list(wrong.errors) == ["temperature"]
    assert (cold.cleaned_data["temperature"], hot.cleaned_data["temperature"]) == (0.1, 1.9)
    assert made.is_valid() and made.cleaned_data["temperature"] is None
    assert cold["temperature"].value() == "0.1" and hot["temperature"].value() == "1.9"
