"""Who may read, download, rename, share and delete a dataset: alice owns, bob is her
teammate, charlie is an outsider."""

import json
import re

import pytest

from playground.datasets.models import Dataset, DatasetRow

from ..factories import make_dataset, make_session

pytestmark = pytest.mark.django_db


def test_the_list_shows_own_and_team_datasets(alice, bob_client, dataset, team_dataset):
    page = bob_client.get("/datasets/").text
    assert "Team capitals" in page
    assert "(team Writers, read-only)" in page
    assert ">Capitals<" not in page


def test_the_detail_shows_columns_row_count_and_first_rows_escaped(alice, alice_client):
    rows = [{"city": "<b>Paris</b>", "expected": "France"}] + [
        {"city": f"c{i}", "expected": "x"} for i in range(30)
    ]
    dataset = make_dataset(alice, rows=rows)
    page = alice_client.get(f"/datasets/{dataset.pk}/").text
    assert "31 rows" in page
    assert "The first 20 rows" in page
    assert "&lt;b&gt;Paris&lt;/b&gt;" in page and "<b>Paris</b>" not in page
    assert "c18" in page and "c19" not in page


def test_outsider_gets_404(charlie_client, dataset, team_dataset):
    for pk in (dataset.pk, team_dataset.pk):
        assert charlie_client.get(f"/datasets/{pk}/").status_code == 404
        assert charlie_client.get(f"/datasets/{pk}/download.csv").status_code == 404
        assert charlie_client.post(f"/datasets/{pk}/delete/").status_code == 404
    assert Dataset.objects.count() == 2


def test_a_teammate_reads_and_downloads_but_cannot_edit(bob_client, team_dataset):
    page = bob_client.get(f"/datasets/{team_dataset.pk}/").text
    assert "read-only" in page and "Rename" not in page
    assert bob_client.get(f"/datasets/{team_dataset.pk}/download.csv").status_code == 200
    assert bob_client.post(f"/datasets/{team_dataset.pk}/rename/", {"name": "x"}).status_code == 404
    assert (
        bob_client.post(
            f"/datasets/{team_dataset.pk}/share/", {"visibility": "private"}
        ).status_code
        == 404
    )
    assert bob_client.post(f"/datasets/{team_dataset.pk}/delete/").status_code == 404
    assert Dataset.objects.get(pk=team_dataset.pk).name == "Team capitals"


def test_a_private_dataset_is_not_read_by_a_teammate(bob_client, team, dataset):
    assert bob_client.get(f"/datasets/{dataset.pk}/").status_code == 404


def test_access_ends_with_the_team_membership(bob, bob_client, team, team_dataset):
    assert bob_client.get(f"/datasets/{team_dataset.pk}/").status_code == 200
    team.user_set.remove(bob)
    assert bob_client.get(f"/datasets/{team_dataset.pk}/").status_code == 404


def test_the_owner_shares_with_a_team_of_theirs_only(alice_client, bob, dataset, team):
    from django.contrib.auth.models import Group

    other = Group.objects.create(name="Not alice's")
    alice_client.post(f"/datasets/{dataset.pk}/share/", {"visibility": "team", "team": other.pk})
    dataset.refresh_from_db()
    assert dataset.visibility == "private"
    response = alice_client.post(
        f"/datasets/{dataset.pk}/share/", {"visibility": "team", "team": team.pk}, follow=True
    )
    dataset.refresh_from_db()
    assert (dataset.visibility, dataset.team) == ("team", team)
    assert f"Shared with {team.name}: its members can read" in response.content.decode()


def test_it_downloads_csv_and_jsonl(alice_client, dataset):
    csv = alice_client.get(f"/datasets/{dataset.pk}/download.csv")
    assert csv["Content-Disposition"] == 'attachment; filename="capitals.csv"'
    assert csv.content.decode() == "city,expected\nParis,France\nRome,Italy\n"
    jsonl = alice_client.get(f"/datasets/{dataset.pk}/download.jsonl").content.decode()
    assert [json.loads(line) for line in jsonl.splitlines()] == [
        {"city": "Paris", "expected": "France"},
        {"city": "Rome", "expected": "Italy"},
    ]


def test_it_renames(alice_client, dataset):
    alice_client.post(f"/datasets/{dataset.pk}/rename/", {"name": "  World   capitals "})
    dataset.refresh_from_db()
    assert dataset.name == "World capitals"


def test_it_deletes_after_confirmation(alice_client, dataset):
    confirm = alice_client.get(f"/datasets/{dataset.pk}/delete/")
    assert "Delete the dataset Capitals?" in confirm.text
    assert Dataset.objects.exists()
    assert alice_client.post(f"/datasets/{dataset.pk}/delete/").status_code == 302
    assert not Dataset.objects.exists() and not DatasetRow.objects.exists()


def test_a_session_that_fits_is_carried_to_the_run_form(alice, alice_client, dataset):
    session = make_session(alice, prompt="The capital of {{ city }} is")
    run_form = f"/dataset-runs/new/?dataset={dataset.pk}&amp;session={session.pk}"

    page = alice_client.get(f"/datasets/{dataset.pk}/?session={session.pk}").text

    assert "Every variable of" in page
    assert page.count(f'href="{run_form}"') == 2


def test_a_session_that_does_not_fit_is_not_carried(alice, alice_client, dataset):
    session = make_session(alice, prompt="{{city}} is the capital of {{ country }}")

    page = alice_client.get(f"/datasets/{dataset.pk}/?session={session.pk}").text

    assert f"session={session.pk}" not in page.replace(f"?session={session.pk}", "")
    assert f'href="/dataset-runs/new/?dataset={dataset.pk}"' in page


def test_it_names_the_sessions_variables_without_a_column(alice, alice_client, dataset):
    session = make_session(alice, prompt="{{city}} is the capital of {{ country }} in {{year}}")
    page = alice_client.get(f"/datasets/{dataset.pk}/?session={session.pk}").text
    assert "No column for <code>country</code>, <code>year</code>" in page


def test_a_session_of_another_user_cannot_be_checked(alice_client, bob, dataset):
    session = make_session(bob, prompt="{{secret_name}}")
    page = alice_client.get(f"/datasets/{dataset.pk}/?session={session.pk}").text
    assert "secret_name" not in page


def test_the_share_form_offers_the_owners_teams_as_a_session_share_does(
    alice, alice_client, dataset, team
):
    from django.contrib.auth.models import Group

    Group.objects.create(name="Not alice's")
    alice.groups.add(Group.objects.create(name="Another team of alice's"))

    content = alice_client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "Teams are the groups you belong to." in content
    team_field = re.search(r'<select name="team".*?</select>', content, re.S).group(0)
    offered = re.findall(r"<option[^>]*>([^<]+)</option>", team_field)
    assert offered == ["Choose a team", "Another team of alice&#x27;s", team.name]
