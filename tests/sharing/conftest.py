import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

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


@pytest.fixture
def branched(alice, alice_session):
    """alice_session's tree grows: a branch from the first run's second token, with " in"
    put there, whose document ends with a suffix; and a pruned branch with a run under it.
    The owner's editor shows the branch. {"root", "branch", "pruned", "under"}: the runs."""
    root = alice_session.runs.get()
    prompt = "Hi drops on in"
    branch = make_run(
        alice,
        session=alice_session,
        request_body={"model": "fake-model", "prompt": prompt, "suffix": "!", "logprobs": 1},
        choices=[
            {
                "index": 0,
                "text": " <i>the</i> roof",
                "logprobs": {
                    "tokens": [" <i>the</i>", " roof"],
                    "token_logprobs": [-0.05, -2.0],
                    "top_logprobs": [{" <i>the</i>": -0.05}, {" roof": -2.0, " car": -0.4}],
                },
                "finish_reason": "length",
            }
        ],
        parent=root,
        parent_choice=0,
        branch_token=2,
        forced_text=" in",
        looks=[["p", 2], ["g", 9], ["e", 3], ["p", 1]],
    )
    pruned = make_run(
        alice,
        session=alice_session,
        choices=[{"index": 0, "text": " PRUNED-TEXT", "logprobs": None, "finish_reason": "stop"}],
        parent=root,
        parent_choice=0,
        pruned_at=timezone.now(),
    )
    under = make_run(
        alice,
        session=alice_session,
        choices=[{"index": 0, "text": " UNDER-PRUNED", "logprobs": None, "finish_reason": "stop"}],
        parent=pruned,
        parent_choice=0,
    )
    alice_session.node = f"{branch.pk}:0"
    alice_session.save()
    return {"root": root, "branch": branch, "pruned": pruned, "under": under}


__all__ = ["make_run"]
