"""The probe of a provider just added waits for the background worker, and its page says so.

On the database backend that `make run` uses, with django-tasks-db's own db_worker command run
in the test (--batch: it runs what is queued, then returns), rather than the ImmediateBackend
of the other tests.
"""

import signal

import pytest
from django.core.management import call_command
from django.test import Client

from playground.providers.models import Provider, ProviderCapabilities

from ..factories import make_provider, make_user
from ..support.live_daphne import free_port
from .fake_provider import OPENAI, openai_like
from .test_probe_on_add import provider_data

pytestmark = pytest.mark.django_db(transaction=True)

QUEUED = "was queued at"


@pytest.fixture
def database_queue(settings):
    if settings.REDIS_URL:
        # @task makes each task of the class of the backend configured at import: with
        # REDIS_URL, django-tasks-rq's, which the database backend does not take. The RQ
        # worker is tested in tests/test_worker.py.
        pytest.skip("tasks are made for the RQ backend when REDIS_URL is set")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def run_the_worker():
    """Runs db_worker until the queue is empty (or as told); keeps pytest's signal handlers."""

    def run(**options):
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        options = {"batch": True, "reload": False, "startup_delay": False, **options}
        try:
            call_command("db_worker", verbosity=0, **options)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    return run


def test_the_page_says_the_probe_is_queued_until_the_worker_has_run_it(
    database_queue, run_the_worker, alice_client, upstream
):
    upstream.respond_with(openai_like(OPENAI))

    response = alice_client.post("/providers/new/", provider_data(upstream), follow=True)

    assert "A probe of what it honours is queued" in response.text
    provider = Provider.objects.get()
    page = alice_client.get(f"/providers/{provider.pk}/").text
    assert f"A probe of fake-model {QUEUED}" in page
    assert "Not probed yet" not in page
    assert upstream.completion_requests == []

    # The panel asks for itself again while the probe waits: no reload needed.
    panel_url = f"/providers/{provider.pk}/capabilities/panel/"
    assert f'hx-get="{panel_url}" hx-trigger="every 3s"' in page
    panel = alice_client.get(panel_url, headers={"HX-Request": "true"}).text
    assert QUEUED in panel and "every 3s" in panel

    run_the_worker()

    panel = alice_client.get(panel_url, headers={"HX-Request": "true"}).text
    assert QUEUED not in panel and "every 3s" not in panel
    assert "Most logprobs alternatives per token" in panel
    page = alice_client.get(f"/providers/{provider.pk}/").text
    assert QUEUED not in page
    assert "Most logprobs alternatives per token" in page
    assert ProviderCapabilities.objects.get(provider=provider).results["max_logprobs"]["value"] == 5


def test_the_panel_is_only_for_those_who_may_use_the_provider(alice, bob_client, upstream):
    provider = make_provider(owner=alice, base_url=upstream.base_url)
    panel_url = f"/providers/{provider.pk}/capabilities/panel/"

    assert bob_client.get(panel_url).status_code == 404
    # The page's own asking (htmx) is told to stop (286), with nothing of the provider.
    asked = bob_client.get(panel_url, headers={"HX-Request": "true"})
    assert asked.status_code == 286
    assert "no longer shared with you" in asked.text
    assert provider.name not in asked.text and "hx-get" not in asked.text


def test_a_panel_asking_after_its_login_ended_stops_asking(alice_client, alice_provider):
    panel_url = f"/providers/{alice_provider.pk}/capabilities/panel/"
    alice_client.logout()

    asked = alice_client.get(panel_url, headers={"HX-Request": "true"})

    # Not the login page swapped into the panel, nor an error every 3 s for ever.
    assert asked.status_code == 286
    assert "Your login has ended" in asked.text and "hx-get" not in asked.text
    assert alice_provider.name not in asked.text
    # A browser opening the address itself goes to log in.
    opened = alice_client.get(panel_url)
    assert opened.status_code == 302 and opened["Location"].startswith("/accounts/login/")


def test_a_panel_whose_provider_was_deleted_stops_asking(alice_client, alice_provider):
    panel_url = f"/providers/{alice_provider.pk}/capabilities/panel/"
    alice_provider.delete()

    asked = alice_client.get(panel_url, headers={"HX-Request": "true"})

    assert asked.status_code == 286 and "was deleted" in asked.text


def test_a_probe_queued_since_keeps_its_mark_when_an_older_one_finishes(
    database_queue, run_the_worker, alice_client, alice_provider, upstream
):
    upstream.respond_with(openai_like(OPENAI))
    alice_client.post(
        f"/providers/{alice_provider.pk}/", provider_data(upstream, default_model="first")
    )
    alice_client.post(
        f"/providers/{alice_provider.pk}/", provider_data(upstream, default_model="second")
    )
    queued_at = Provider.objects.get().probe_queued_at
    assert queued_at is not None

    # Only the first: the worker takes the oldest task first.
    run_the_worker(batch=False, max_tasks=1)

    assert Provider.objects.get().probe_queued_at == queued_at
    run_the_worker()
    assert Provider.objects.get().probe_queued_at is None
    assert {row.model for row in ProviderCapabilities.objects.all()} == {"first", "second"}


def test_a_provider_is_saved_while_the_queue_cannot_be_reached(settings, alice_client, upstream):
    # The RQ backend on a Redis that is not there (REDIS_URL during an outage).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}

    response = alice_client.post("/providers/new/", provider_data(upstream))

    assert response.status_code == 302
    provider = Provider.objects.get()
    assert provider.probe_queued_at is None
    assert "Not probed yet" in alice_client.get(f"/providers/{provider.pk}/").text


def test_the_admin_says_a_shared_providers_probe_is_queued(database_queue, admin_client, upstream):
    admin_client.post("/admin/providers/provider/add/", {**provider_data(upstream), "owner": ""})

    shared = Provider.objects.get(owner=None)
    page = admin_client.get(f"/admin/providers/provider/{shared.pk}/change/").text
    assert "A probe was queued at" in page
    assert "Not probed yet" not in page
