"""How many examples each fuzz test tries, and how the loaded Hypothesis profile scales them.

Each test names its number for Hypothesis' default profile, whose max_examples is 100. A
profile with fewer or more scales every test alike: `make test-fast` loads "fast"
(tests/conftest.py), a tenth as many, so that the edit-test loop stays short; `make test`
keeps the default and tries them all.
"""

from hypothesis import HealthCheck, settings

DEFAULT_MAX_EXAMPLES = 100


def fuzz_settings(max_examples: int) -> settings:
    scaled = max_examples * settings.default.max_examples // DEFAULT_MAX_EXAMPLES
    return settings(
        max_examples=max(scaled, 1),
        # The database, the ASGI stack and the fake upstream make single examples slow at
        # times on a busy machine; that is not what these tests look for.
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
