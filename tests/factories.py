"""Test data builders: users, providers, sessions and runs."""

import itertools
import secrets

from django.contrib.auth import get_user_model

from playground.providers.models import AuthStyle, Provider
from playground.runs.models import Run, RunStatus
from playground.sessions.models import PlaygroundSession

PASSWORD = "correct-horse-battery-staple"
# Every API key of the suite carries this: tests/secrets_audit.py looks for it everywhere.
KEY_MARKER = "sk-SECRET-"
_counter = itertools.count(1)


def fake_api_key(label: str = "key") -> str:
    """A key no output may show; random, so nothing but a leak of it can contain it."""
    return f"{KEY_MARKER}{label}-{secrets.token_hex(8)}"


API_KEY = fake_api_key("test")
# The extra headers of the `provider` fixture (tests/conftest.py): their values are secret too.
EXTRA_HEADERS = {"OpenAI-Organization": "org-SECRET-ORG", "OpenAI-Project": "proj_SECRET_PROJECT"}


def fake_header_value(prefix: str) -> str:
    """An extra-header value (such as an OpenAI organization) that no output may show either."""
    return f"{prefix}{fake_api_key(prefix.strip('-_'))}"


def make_user(username=None, **extra):
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


def make_provider(owner=None, base_url="http://127.0.0.1:9/v1", **extra):
    fields = {
        "name": f"Provider {next(_counter)}",
        "base_url": base_url,
        "auth_style": AuthStyle.BEARER,
        "api_key": API_KEY,
        "default_model": "fake-model",
    }
    fields.update(extra)
    return Provider.objects.create(owner=owner, **fields)


def make_run(owner, provider=None, **extra):
    fields = {
        "provider": provider,
        "provider_name": provider.name if provider else "Gone",
        "model": "fake-model",
        "request_body": {"model": "fake-model", "prompt": "Hi", "stream": True},
        "choices": [{"index": 0, "text": "there", "logprobs": None, "finish_reason": "stop"}],
        "status": RunStatus.COMPLETED,
    }
    fields.update(extra)
    return Run.objects.create(owner=owner, **fields)


def make_session(owner, provider=None, **extra):
    """A saved session; a prompt given without a title gives the session its title."""
    fields = {"provider": provider, "model": provider.default_model if provider else ""}
    fields.update(extra)
    session = PlaygroundSession(owner=owner, **fields)
    if "title" not in extra:
        session.follow_prompt_title()
    session.save()
    return session


def make_dataset(owner, name="Capitals", columns=("city", "expected"), rows=None, **extra):
    """A stored dataset; rows default to two capitals."""
    from playground.datasets.models import Dataset, DatasetRow

    columns = list(columns)
    if rows is None:
        rows = [
            dict(zip(columns, values, strict=False))
            for values in [("Paris", "France"), ("Rome", "Italy")]
        ]
    dataset = Dataset.objects.create(
        owner=owner, name=name, columns=columns, row_count=len(rows), **extra
    )
    DatasetRow.objects.bulk_create(
        DatasetRow(dataset=dataset, index=i, values=values) for i, values in enumerate(rows)
    )
    return dataset
