"""The forms of the datasets' pages: a new dataset (pasted or uploaded), rename, share."""

from django import forms
from django.conf import settings

from playground.accounts.forms import choose_among_teams_of
from playground.sessions.forms import SessionChoiceField

from .models import Dataset, Visibility
from .parsing import FORMATS, DatasetError, Table, decode, format_of

PASTE_HELP = (
    "CSV: the first line is the header (one name per column: a column for each "
    "{{variable}}, and optionally expected and id), then one row per line."
)


def _size_message(size: int) -> str:
    cap = settings.PLAYGROUND_DATASET_MAX_BYTES
    return (
        f"The file has {size:,} bytes; at most {cap:,} (PLAYGROUND_DATASET_MAX_BYTES) are "
        "allowed. Nothing was stored."
    )


class DatasetForm(forms.Form):
    name = forms.CharField(max_length=200)
    pasted = forms.CharField(
        label="Paste CSV",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=PASTE_HELP,
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text="CSV (.csv) or JSONL (.jsonl: one JSON object per line, its keys the columns).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.jsonl,.ndjson"}),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A dataset needs a name.")
        return name

    def clean_pasted(self):
        text = self.cleaned_data["pasted"]
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > settings.PLAYGROUND_DATASET_MAX_BYTES:
            raise forms.ValidationError(_size_message(size))
        return text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload:
            return None
        if format_of(upload.name) is None:
            raise forms.ValidationError(
                f"{upload.name} is not a .csv or .jsonl file: name it by its format."
            )
        if upload.size > settings.PLAYGROUND_DATASET_MAX_BYTES:
            raise forms.ValidationError(_size_message(upload.size))
        return upload

    def clean(self):
        cleaned = super().clean()
        text, upload = cleaned.get("pasted"), cleaned.get("file")
        if self.errors:
            return cleaned
        if text and text.strip() and upload:
            raise forms.ValidationError("Paste a CSV or upload a file, not both.")
        field = "file" if upload else "pasted"
        try:
            if upload:
                source = decode(upload.read(settings.PLAYGROUND_DATASET_MAX_BYTES + 1))
                parse = FORMATS[format_of(upload.name) or "csv"]
            elif text and text.strip():
                source, parse = text, FORMATS["csv"]
            else:
                raise forms.ValidationError("Paste a CSV or choose a file.")
            cleaned["table"] = parse(source)
        except DatasetError as exc:
            self.add_error(field, f"{exc} Nothing was stored.")
        return cleaned

    @property
    def table(self) -> Table:
        return self.cleaned_data["table"]


class RenameForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["name"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A dataset needs a name.")
        return name


class ShareForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["visibility", "team"]
        widgets = {"visibility": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a team the owner is in.
        choose_among_teams_of(self.fields["team"], self.instance.owner)
        self.fields["team"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visibility") == Visibility.TEAM and not cleaned.get("team"):
            self.add_error("team", "Choose a team of yours to share the dataset with.")
        if cleaned.get("visibility") == Visibility.PRIVATE:
            cleaned["team"] = None
        return cleaned


class SessionChoiceForm(forms.Form):
    """A session of the user's, to see which of its variables the dataset has no column for."""

    session = SessionChoiceField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].offer_sessions_of(user)
