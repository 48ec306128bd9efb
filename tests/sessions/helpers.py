"""Shared test data, and reading pages as a browser would: what a form would post."""

from html.parser import HTMLParser

from django.utils.datastructures import MultiValueDict

from playground.sessions.state import parameters_from_data

from ..execution.helpers import KEY, blank_post
from ..factories import EXTRA_HEADERS

# Every value that must never leave the server in a page, a file or a snippet.
SECRETS = (KEY, *EXTRA_HEADERS.values())

# The parameters as the page posts them: a few set, the others blank.
PARAMETERS = {
    **blank_post(),
    "max_tokens": "32",
    "temperature": "0.7",
    "stream": "on",
    "stop": ["\\n", "", "", ""],
}


def as_form_data(fields: dict) -> MultiValueDict:
    """A dict of posted fields (a list for a repeated one) as the form's post."""
    data = MultiValueDict()
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


# The same parameters as a session keeps them.
SAVED_PARAMETERS = parameters_from_data(as_form_data(PARAMETERS))


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # inside the form while > 0
        self.data = MultiValueDict()
        self._textarea = None
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "form":
            self.depth += 1
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.appendlist(name, attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self.data.appendlist(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = [name, None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            self._option = attrs.get("value", "")
            if self._select[1] is None:
                self._select[1] = self._option
            if "selected" in attrs:
                self._select[2] = self._option

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "form":
            self.depth -= 1
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # A browser drops the one newline that follows <textarea>.
            self.data.appendlist(name, text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, first, selected = self._select
            self.data.appendlist(name, selected if selected is not None else first or "")
            self._select = None


def form_data(html: str, form_id: str = "completion-form") -> MultiValueDict:
    """What the form with this id would post, as the page shows it."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.data
