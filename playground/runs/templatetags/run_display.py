from django import template

from playground.runs.presentation import choice_views, pretty_json

register = template.Library()


@register.simple_tag
def run_choices(run):
    return choice_views(run)


@register.filter
def as_pretty_json(value):
    return pretty_json(value)
