"""A session's runs as a tree, as loom keeps continuations: every choice of a run is a node.

A run started from the editor names where it grows from: a choice of an earlier run of the
same session (its parent node), how many of that choice's tokens it kept (the branch
point; None for all of them), and the alternative token put in there, if any. `n` choices
of one run are sibling nodes. A node's document is its run's prompt, the choice's text,
then its suffix: each node holds its whole path, so the document never has to be
rebuilt from its ancestors, and a pruned or deleted ancestor loses nothing.
"""

import json
import math

from django import forms

from playground.completions.request_body import expected_choice_count
from playground.form_cycles import FreedWhenDropped

from .models import Run

# Who wrote a stretch of the document: the editor shows each look differently.
LOOKS = {"p": "typed", "g": "generated", "e": "generated, then edited"}
MAX_LOOK_STRETCHES = 100_000


def node_id(run_id: int, choice: int) -> str:
    return f"{run_id}:{choice}"


def parse_node(text: str) -> tuple[int, int] | None:
    run, _, choice = (text or "").partition(":")
    if not (run.isdigit() and choice.isdigit()) or len(text) > 40:
        return None
    return int(run), int(choice)


def looks_are_valid(looks, length: int) -> bool:
    """[[look, characters], ...] over exactly `length` characters, each stretch non-empty."""
    if not isinstance(looks, list) or len(looks) > MAX_LOOK_STRETCHES:
        return False
    total = 0
    for stretch in looks:
        if not (isinstance(stretch, list) and len(stretch) == 2 and stretch[0] in LOOKS):
            return False
        size = stretch[1]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            return False
        total += size
    return total == length


def typed(length: int) -> list:
    """The looks of text nobody generated."""
    return [["p", length]] if length else []


def choice_count(run: Run) -> int:
    return max(len(run.choices), 0 if run.is_finished else expected_choice_count(run.request_body))


class PlacementForm(FreedWhenDropped, forms.Form):
    """Where in the tree a run from the editor grows: the run message's tree fields."""

    parent = forms.CharField(required=False, max_length=40)
    branch_token = forms.IntegerField(required=False, min_value=0)
    forced_text = forms.CharField(required=False, strip=False, max_length=1000)
    looks = forms.CharField(required=False, strip=False)

    def __init__(self, data, *, runs, document_length: int):
        """runs: the runs a parent may be (the session's); document_length: the prompt's and
        the suffix's characters, which the looks must cover."""
        super().__init__(data)
        self.runs = runs
        self.document_length = document_length

    def clean_parent(self):
        text = self.cleaned_data["parent"]
        if not text:
            return None
        node = parse_node(text)
        run = self.runs.filter(pk=node[0], pruned_at__isnull=True).first() if node else None
        if run is None or node is None or node[1] >= choice_count(run):
            raise forms.ValidationError(
                "The branch this run grows from is no longer in this session's tree."
            )
        return run, node[1]

    def clean_looks(self):
        text = self.cleaned_data["looks"]
        if not text:
            return typed(self.document_length)
        try:
            looks = json.loads(text)
        except ValueError:
            looks = None
        if not looks_are_valid(looks, self.document_length):
            raise forms.ValidationError(
                "The editor's record of generated and typed text does not match the prompt; "
                "reload the page."
            )
        return looks

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        branched = cleaned.get("branch_token") is not None or cleaned.get("forced_text")
        if parent is None and branched:
            raise forms.ValidationError("A branch point needs the node it branches from.")
        if parent is not None and cleaned.get("branch_token") is not None:
            tokens = choice_tokens(*parent)
            if tokens is not None and cleaned["branch_token"] > len(tokens):
                raise forms.ValidationError("The branch point is past the end of its choice.")
        return cleaned

    def placement(self) -> dict:
        """The Run fields this form sets."""
        run, choice = self.cleaned_data["parent"] or (None, None)
        return {
            "parent": run,
            "parent_choice": choice,
            "branch_token": self.cleaned_data["branch_token"] if run else None,
            "forced_text": self.cleaned_data["forced_text"] if run else "",
            "looks": self.cleaned_data["looks"],
        }


def _choice(run: Run, index: int) -> dict:
    for choice in run.choices:
        if choice.get("index") == index:
            return choice
    return {"index": index, "text": "", "logprobs": None, "finish_reason": None}


def _generated(run: Run, choice: dict) -> tuple[str, list | None]:
    """A choice's new text (without an echoed prompt) and its tokens as [text, logprob,
    top], or None when the provider sent no logprobs, or some that do not spell the text."""
    text = choice.get("text") or ""
    logprobs = choice.get("logprobs") or {}
    tokens = logprobs.get("tokens") or []
    token_logprobs = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or []
    entries = [
        [
            token,
            token_logprobs[i] if i < len(token_logprobs) else None,
            tops[i] if i < len(tops) else None,
        ]
        for i, token in enumerate(tokens)
        if isinstance(token, str)
    ]
    prompt = run.prompt_text
    if run.request_body.get("echo") and prompt and text.startswith(prompt):
        text = text[len(prompt) :]
        offsets = logprobs.get("text_offset") or []
        if len(offsets) == len(entries):
            pairs = zip(entries, offsets, strict=True)
            entries = [entry for entry, offset in pairs if offset >= len(prompt)]
        else:
            entries = []
    if not entries or "".join(str(entry[0]) for entry in entries) != text:
        return text, None
    return text, entries


def choice_tokens(run: Run, index: int) -> list | None:
    return _generated(run, _choice(run, index))[1]


# How many ancestors' tokens a node's document looks back through.
MAX_INHERITED_DEPTH = 200


def inherited_tokens(run: Run) -> list:
    """The tokens of the run's prompt that earlier runs of its path generated, with their
    odds: [[offset in the prompt, node, token index there, text, logprob, top], …], in
    order. Each parent's kept tokens count only while the prompt still holds them exactly
    where the parent wrote them (and its own prompt before them): text edited there since
    has no odds to show, so the looking back stops at it."""
    found: list = []
    child, parent, depth = run, run.parent, 0
    while parent is not None and depth < MAX_INHERITED_DEPTH:
        prompt = child.written_prompt_and_suffix[0]
        parent_prompt = parent.written_prompt_and_suffix[0]
        choice = child.parent_choice or 0
        tokens = _generated(parent, _choice(parent, choice))[1]
        if not tokens:
            break
        kept = tokens if child.branch_token is None else tokens[: child.branch_token]
        written = parent_prompt + "".join(token[0] for token in kept)
        if not prompt.startswith(written):
            break
        at = len(parent_prompt)
        level = []
        for k, (text, logprob, top) in enumerate(kept):
            level.append([at, node_id(parent.pk, choice), k, text, logprob, top])
            at += len(text)
        found[:0] = level
        child, parent, depth = parent, parent.parent, depth + 1
    return found


def document(run: Run, index: int) -> dict:
    """What the editor shows for a node: prompt, the choice's text, then the suffix; and the
    odds of the prompt's tokens that the node's ancestors generated (inherited_tokens)."""
    prompt, suffix = run.written_prompt_and_suffix
    text, tokens = _generated(run, _choice(run, index))
    looks = run.looks if looks_are_valid(run.looks, len(prompt) + len(suffix)) else None
    return {
        "node": node_id(run.pk, index),
        "prompt": prompt,
        "suffix": suffix,
        "looks": looks or typed(len(prompt) + len(suffix)),
        "text": text,
        "tokens": tokens,
        "prompt_tokens": inherited_tokens(run),
        "status": run.status,
        "finish_reason": _choice(run, index).get("finish_reason"),
    }


def document_text_and_looks(doc: dict) -> tuple[str, list]:
    """A node's document (document()) as one text, and its looks over all of it."""
    prompt, generated, suffix = doc["prompt"], doc["text"], doc["suffix"]
    looks: list = []
    at = 0
    for look, size in doc["looks"]:
        before = max(0, min(size, len(prompt) - at))
        if before:
            looks.append([look, before])
        at += size
    if generated:
        looks.append(["g", len(generated)])
    at = 0
    for look, size in doc["looks"]:
        after = size - max(0, min(size, len(prompt) - at))
        if after:
            looks.append([look, after])
        at += size
    merged: list = []
    for look, size in looks:
        if merged and merged[-1][0] == look:
            merged[-1][1] += size
        else:
            merged.append([look, size])
    return prompt + generated + suffix, merged


def _label(text: str) -> str:
    words = " ".join(text.split())
    return (words[:48] + "…") if len(words) > 48 else (words or "(no text)")


def nodes(runs) -> list[dict]:
    """The tree's nodes, oldest first, leaving out pruned runs and everything under them."""
    ordered = sorted(runs, key=lambda run: (run.created_at, run.pk))
    hidden = hidden_runs(ordered)
    result = []
    for run in ordered:
        if run.pk in hidden:
            continue
        for index in range(choice_count(run)):
            text, tokens = _generated(run, _choice(run, index))
            probability = None
            if tokens:
                known = [t[1] for t in tokens if isinstance(t[1], int | float)]
                if known:
                    probability = math.exp(sum(known) / len(known))
            result.append(
                {
                    "id": node_id(run.pk, index),
                    "run": run.pk,
                    "choice": index,
                    "parent": node_id(run.parent_id, run.parent_choice or 0)
                    if run.parent_id is not None
                    else None,
                    "branch_token": run.branch_token,
                    "forced_text": run.forced_text,
                    "model": run.model,
                    "status": run.status,
                    "label": _label(text),
                    "tokens": len(tokens) if tokens else None,
                    "mean_probability": probability,
                    "temperature": run.request_body.get("temperature"),
                    "seed": run.request_body.get("seed"),
                }
            )
    return result


def pruned(runs) -> list[dict]:
    """The pruned branches, newest prune first: each pruned run whose parent is still in the
    tree, with its first choice's label and how many runs went out of the tree with it.
    Pruning a branch inside one already pruned does not make a second entry."""
    ordered = sorted(runs, key=lambda run: (run.created_at, run.pk))
    hidden = hidden_runs(ordered)
    # Each hidden run's top: itself if its parent is in the tree, else its parent's top
    # (a parent comes before its children in this order).
    top_of: dict[int, int] = {}
    for run in ordered:
        if run.pk in hidden:
            parent_hidden = run.parent_id is not None and run.parent_id in hidden
            top_of[run.pk] = top_of[run.parent_id] if parent_hidden else run.pk
    counts: dict[int, int] = {}
    for top in top_of.values():
        counts[top] = counts.get(top, 0) + 1
    tops = [run for run in ordered if top_of.get(run.pk) == run.pk]
    return [
        {
            "run": run.pk,
            # A branch begins with the token forced in: it is the text the user picked.
            "label": _label(
                (run.forced_text or "")
                + (_generated(run, _choice(run, 0))[0] if choice_count(run) else "")
            ),
            "model": run.model,
            "pruned_at": run.pruned_at.isoformat(),
            "runs": counts[run.pk],
        }
        for run in sorted(tops, key=lambda run: (run.pruned_at, run.pk), reverse=True)
    ]


def hidden_runs(runs) -> set[int]:
    """The ids of the pruned runs and of every run under them: the runs nodes() leaves out."""
    hidden: set[int] = set()
    for run in sorted(runs, key=lambda run: (run.created_at, run.pk)):
        if run.pruned_at is not None or (run.parent_id is not None and run.parent_id in hidden):
            hidden.add(run.pk)
    return hidden
