from django import template
from django.forms.utils import pretty_name

from playground.runs.models import Run
from playground.runs.presentation import (
    choice_views,
    parameter_changes,
    pretty_json,
    sent_requests_view,
)

register = template.Library()


@register.simple_tag
def run_choices(run):
    return choice_views(run)


@register.simple_tag
def sent_requests_of(run):
    return sent_requests_view(run)


@register.filter
def as_pretty_json(value):
    return pretty_json(value)


@register.filter
def parameter_label(bound_field):
    """The API's own name for a parameter ("logit_bias"), unless the form gave a label."""
    if bound_field.label == pretty_name(bound_field.name):
        return bound_field.name
    return bound_field.label


@register.simple_tag
def parameter_changes_of(run):
    """The parameters changed since the session's run before this one.

    A page listing many runs sets previous_request_body on each, to spare a query per card.
    """
    if hasattr(run, "previous_request_body"):
        before = run.previous_request_body
    else:
        previous = (
            Run.objects.filter(session_id=run.session_id, created_at__lt=run.created_at)
            .order_by("-created_at")
            .values_list("request_body", flat=True)
            .first()
            if run.session_id
            else None
        )
        before = previous
    return parameter_changes(before, run.request_body)
