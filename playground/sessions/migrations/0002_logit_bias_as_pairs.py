"""A session's form state keeps logit_bias as [token, bias] pairs, no longer as the page's
two lists: in the session, and in the copy each run keeps for "Restore".

The conversion is written out here rather than imported, so that this migration stays as it
was when the app's code changes.
"""

from django.db import migrations

TOKENS, BIASES, PAIRS = "logit_bias_token", "logit_bias_bias", "logit_bias"


def lists_to_pairs(state: dict) -> dict:
    tokens = [str(t).strip() for t in state.pop(TOKENS, None) or []]
    biases = [str(b).strip() for b in state.pop(BIASES, None) or []]
    rows = []
    for index in range(max(len(tokens), len(biases))):
        token = tokens[index] if index < len(tokens) else ""
        bias = biases[index] if index < len(biases) else ""
        if token or bias:
            rows.append([token, bias])
    state[PAIRS] = rows
    return state


def pairs_to_lists(state: dict) -> dict:
    rows = state.pop(PAIRS, None) or []
    state[TOKENS] = [token for token, _ in rows]
    state[BIASES] = [bias for _, bias in rows]
    return state


def converter(model_name, field, convert, old_key):
    def run(apps, schema_editor):
        model = apps.get_model(*model_name.split("."))
        for row in model.objects.filter(**{f"{field}__has_key": old_key}).iterator():
            setattr(row, field, convert(dict(getattr(row, field))))
            row.save(update_fields=[field])

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("saved_sessions", "0001_initial"),
        ("runs", "0005_run_sent_requests"),
    ]

    operations = [
        migrations.RunPython(
            converter("saved_sessions.PlaygroundSession", "parameters", lists_to_pairs, TOKENS),
            converter("saved_sessions.PlaygroundSession", "parameters", pairs_to_lists, PAIRS),
        ),
        migrations.RunPython(
            converter("runs.Run", "form_state", lists_to_pairs, TOKENS),
            converter("runs.Run", "form_state", pairs_to_lists, PAIRS),
        ),
    ]
