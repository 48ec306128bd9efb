from django.db import connection

from ..factories import API_KEY, EXTRA_HEADERS

KEY = API_KEY

SECRETS = (KEY, *EXTRA_HEADERS.values())


def raw_columns(provider) -> tuple[str, str]:
    """The api_key and extra_headers columns as stored, read past the model field."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key, extra_headers FROM providers_provider WHERE id = %s", [provider.pk]
        )
        return cursor.fetchone()


def assert_no_secret_in(response):
    content = response.content.decode()
    for secret in SECRETS:
        assert secret not in content
