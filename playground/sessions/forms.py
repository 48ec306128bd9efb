from django import forms
from django.conf import settings

from .models import PlaygroundSession
from .transfer import InvalidExport, parse_export, too_large_message


class RenameForm(forms.ModelForm):
    class Meta:
        model = PlaygroundSession
        fields = ["title"]

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("A title cannot be empty.")
        return title

    def save(self, commit=True):
        self.instance.title_is_custom = True
        return super().save(commit)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(error_messages={"required": "Choose an exported session file."})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PLAYGROUND_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(too_large_message(limit))
        try:
            return parse_export(upload.read(limit + 1))
        except InvalidExport as exc:
            raise forms.ValidationError(str(exc)) from exc


class SessionChoiceField(forms.ModelChoiceField):
    """One of the user's sessions, by title; a title that several of them share also gives
    the session's number (as in its address) and last change, so that they can be told
    apart (a fork keeps its title)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(PlaygroundSession.objects.none(), **kwargs)
        self.repeated: set[str] = set()

    def offer_sessions_of(self, user) -> None:
        sessions = PlaygroundSession.objects.owned_by(user)
        self.queryset = sessions
        titles = [session.display_title for session in sessions.only("title")]
        self.repeated = {title for title in titles if titles.count(title) > 1}

    def label_from_instance(self, obj) -> str:
        title = obj.display_title
        if title in self.repeated:
            return f"{title} · #{obj.pk}, changed {obj.updated_at:%Y-%m-%d %H:%M} UTC"
        return title
