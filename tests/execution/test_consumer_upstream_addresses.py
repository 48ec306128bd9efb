"""A run on a provider that may not reach its address fails with the reason, and sends nothing."""

import pytest

from playground.runs.models import Run, RunStatus

from ..factories import make_provider, make_user
from ..fake_upstream import FakeUpstream, Reply
from .helpers import run_and_collect, run_message

pytestmark = pytest.mark.django_db(transaction=True)

RULE = (
    "providers that users add may only reach public addresses. Ask an admin to add it as a "
    "shared provider, or to set PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS=true on a single-user install."
)


@pytest.fixture(autouse=True)
def private_upstreams_forbidden(settings):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = False


@pytest.fixture
def localhost_provider(alice, upstream):
    # Stored as is: saved before the rules, or while the setting was on.
    return make_provider(owner=alice, base_url=f"http://localhost:{upstream.port}/v1")


@pytest.fixture
def staff_provider(db, upstream):
    return make_provider(owner=make_user("staff", is_staff=True), base_url=upstream.base_url)


@pytest.fixture
def other_upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


async def run_to_the_end(connect, user, provider, **fields):
    socket = await connect(user)
    frames = await run_and_collect(socket, run_message(provider, prompt="x", **fields))
    return frames[-1]


@pytest.mark.parametrize("stream", ["on", ""], ids=["streamed", "whole"])
async def test_a_run_on_a_users_loopback_provider_fails_and_sends_nothing(
    alice, alice_provider, upstream, connect, stream
):
    finished = await run_to_the_end(connect, alice, alice_provider, stream=stream)

    assert finished["status"] == "failed"
    assert finished["error"] == f"127.0.0.1 is a loopback address: {RULE}"
    assert "127.0.0.1 is a loopback address" in finished["html"]
    run = await Run.objects.aget(pk=finished["run"])
    assert run.status == RunStatus.FAILED
    assert run.error == finished["error"]
    assert upstream.requests == []


async def test_a_host_name_is_checked_as_the_address_it_resolves_to_at_run_time(
    alice, localhost_provider, upstream, connect
):
    finished = await run_to_the_end(connect, alice, localhost_provider)

    assert finished["error"] == f"localhost resolves to 127.0.0.1, a loopback address: {RULE}"
    assert upstream.requests == []


async def test_a_shared_provider_runs_on_loopback(alice, shared_provider, upstream, connect):
    finished = await run_to_the_end(connect, alice, shared_provider)

    assert finished["status"] == "completed"
    assert len(upstream.completion_requests) == 1


async def test_a_staff_members_provider_runs_on_loopback(staff_provider, upstream, connect):
    finished = await run_to_the_end(connect, staff_provider.owner, staff_provider)

    assert finished["status"] == "completed"


async def test_the_setting_lets_a_users_provider_run_on_loopback(
    alice, alice_provider, upstream, connect, settings
):
    settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS = True

    finished = await run_to_the_end(connect, alice, alice_provider)

    assert finished["status"] == "completed"


@pytest.mark.parametrize("stream", ["on", ""], ids=["streamed", "whole"])
async def test_a_redirect_fails_the_run_and_is_not_followed(
    alice, shared_provider, upstream, other_upstream, connect, stream
):
    target = f"{other_upstream.base_url}/completions"
    upstream.script(Reply("", status=307, content_type="text/html", headers={"Location": target}))

    finished = await run_to_the_end(connect, alice, shared_provider, stream=stream)

    assert finished["status"] == "failed"
    assert finished["error"] == (
        f"The provider answered 307 Temporary Redirect, a redirect to {target}, and redirects "
        "are not followed: put the address it leads to in the provider's base URL."
    )
    assert len(upstream.completion_requests) == 1
    assert other_upstream.requests == []
