"""The admin, where staff manage shared providers, keeps keys write-only too."""

import pytest

from ..factories import make_user
from .helpers import assert_no_secret_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))
    return client


def test_the_change_page_never_shows_the_secrets(staff_client, provider):
    response = staff_client.get(f"/admin/providers/provider/{provider.pk}/change/")

    assert response.status_code == 200
    assert b'name="api_key"' in response.content
    assert_no_secret_in(response)


def test_the_list_never_shows_the_secrets(staff_client, provider):
    response = staff_client.get("/admin/providers/provider/")

    assert response.status_code == 200
    assert_no_secret_in(response)
