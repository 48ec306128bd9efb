"""Sessions and runs saved before logit_bias was kept as pairs get pairs (saved_sessions 0002)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("saved_sessions", "0001_initial"), ("runs", "0005_run_sent_requests")]
AFTER = [("saved_sessions", "0002_logit_bias_as_pairs")]

OLD_STATE = {
    "temperature": "0.7",
    "logit_bias_token": ["50256", "", " 13 ", "", "50256"],
    "logit_bias_bias": ["-100", "", "", "", "2"],
}
NEW_STATE = {"temperature": "0.7", "logit_bias": [["50256", "-100"], ["13", ""], ["50256", "2"]]}


@pytest.fixture
def migrator():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    yield executor
    executor.loader.build_graph()
    executor.migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_the_pages_two_lists_become_pairs_in_sessions_and_runs(migrator):
    old = migrator.loader.project_state(BEFORE).apps
    owner = old.get_model("auth", "User").objects.create(username="alice")
    session = old.get_model("saved_sessions", "PlaygroundSession").objects.create(
        owner=owner, parameters=OLD_STATE
    )
    run = old.get_model("runs", "Run").objects.create(
        owner=owner, session=session, request_body={}, form_state={"prompt": "Hi", **OLD_STATE}
    )
    untouched = old.get_model("runs", "Run").objects.create(
        owner=owner, request_body={}, form_state={}
    )

    migrator.loader.build_graph()
    migrator.migrate(AFTER)
    # The models as they were then: later migrations add columns the database lacks here.
    new = migrator.loader.project_state(AFTER).apps
    sessions = new.get_model("saved_sessions", "PlaygroundSession").objects
    runs = new.get_model("runs", "Run").objects

    assert sessions.get(pk=session.pk).parameters == NEW_STATE
    assert runs.get(pk=run.pk).form_state == {"prompt": "Hi", **NEW_STATE}
    assert runs.get(pk=untouched.pk).form_state == {}
