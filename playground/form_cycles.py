"""Forms validated on the way to a first token, freed the moment they are dropped.

Django keeps the BoundFields a form's validation made, and each refers back to its form: a
reference cycle. So a dropped form, with its fields, widgets, querysets and cleaned data,
waits for the garbage collector instead of being freed at once. A run's launch left about
300 such objects and a comparison's (five forms) about 440, enough to set off a collection
of the young generation (about 0.35 ms here) in one launch of two, on the way to the first
token (README, Performance: figure 11).
"""


class FreedWhenDropped:
    """A form mixin: once validated, the form holds no BoundField, so no cycle through
    them. Rendering or reading one afterwards (form["name"]) makes it again."""

    _bound_fields_cache: dict

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._bound_fields_cache.clear()
