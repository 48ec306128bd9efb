import re

import pytest

from ..factories import make_dataset, make_provider, make_session
from ..fake_upstream import Reply, completion_response

PROMPT = "The capital of {{city}} is"


def capital(city: str) -> str:
    return f" {city}ville"


def answer_by_prompt(body):
    """The fake provider's answer to a row: the city of its prompt, made a capital."""
    city = re.fullmatch(r"The capital of (.*) is", body["prompt"])[1]
    return Reply(completion_response([capital(city)] * int(body.get("n") or 1)))


def rows(count: int, **extra) -> list[dict]:
    return [
        {"city": f"City{i}", "expected": capital(f"City{i}").strip(), **extra} for i in range(count)
    ]


@pytest.fixture
def fast_retries(settings):
    settings.PLAYGROUND_DATASET_RETRY_SECONDS = 0.01
    settings.PLAYGROUND_DATASET_MAX_ATTEMPTS = 3


@pytest.fixture
def tasks_wait(settings):
    """Queued tasks wait (Django's DummyBackend) instead of running at once: the test runs
    the workers itself."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def fake_provider(alice, upstream):
    return make_provider(owner=alice, base_url=upstream.base_url, name="Fake upstream")


@pytest.fixture
def capitals_session(alice, fake_provider):
    return make_session(
        alice, provider=fake_provider, prompt=PROMPT, parameters={"max_tokens": "8"}
    )


@pytest.fixture
def make_capitals(alice):
    def make(count: int = 50, **extra):
        return make_dataset(
            alice, name="Cities", columns=("city", "expected"), rows=rows(count, **extra)
        )

    return make
