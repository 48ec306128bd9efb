import pytest
from django.contrib.auth.models import Group
from django.test import Client

from ..factories import make_dataset


@pytest.fixture
def charlie_client(charlie):
    client = Client()
    client.force_login(charlie)
    return client


@pytest.fixture
def team(alice, bob):
    """Alice and bob's team; charlie is an outsider."""
    group = Group.objects.create(name="Writers")
    group.user_set.add(alice, bob)
    return group


@pytest.fixture
def dataset(alice):
    return make_dataset(alice)


@pytest.fixture
def team_dataset(alice, team):
    return make_dataset(alice, name="Team capitals", visibility="team", team=team)
