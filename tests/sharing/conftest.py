import pytest
from django.contrib.auth.models import Group

from playground.sharing.models import SessionShare, Visibility, new_token

from ..factories import make_provider, make_run


@pytest.fixture
def team(alice, bob):
    group = Group.objects.create(name="Prompt team")
    alice.groups.add(group)
    bob.groups.add(group)
    return group


@pytest.fixture
def alice_session(alice):
    from playground.sessions.models import PlaygroundSession

    provider = make_provider(owner=alice, name="Alice's secret provider")
    provider.extra_headers = '{"OpenAI-Organization": "org-SECRET-HEADER-VALUE"}'
    provider.save()
    session = PlaygroundSession.objects.create(
        owner=alice,
        title="Haiku experiments",
        title_is_custom=True,
        provider=provider,
        model="fake-model",
        prompt="Write a haiku about <b>bold</b> rain",
        parameters={"temperature": "0.7", "stop": ["\\n"], "stream": "on"},
    )
    make_run(
        alice,
        provider=provider,
        session=session,
        choices=[
            {
                "index": 0,
                "text": " drops on the window",
                "logprobs": {
                    "tokens": [" drops", " on", " the", " window"],
                    "token_logprobs": [-0.5, -0.1, -0.2, -1.5],
                    "top_logprobs": [{" drops": -0.5, " falls": -1.2}, {}, {}, {}],
                    "text_offset": [0, 6, 9, 13],
                },
                "finish_reason": "stop",
            }
        ],
        form_state={"provider": str(provider.pk), "prompt": "Write a haiku"},
        sent_requests=[{"times": 2, "changed": {"n": 1}}],
    )
    return session


@pytest.fixture
def link_share(alice_session):
    return SessionShare.objects.create(
        session=alice_session, visibility=Visibility.LINK, token=new_token()
    )


@pytest.fixture
def team_share(alice_session, team):
    return SessionShare.objects.create(session=alice_session, visibility=Visibility.TEAM, team=team)


__all__ = ["make_run"]
