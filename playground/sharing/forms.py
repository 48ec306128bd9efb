from django import forms
from django.conf import settings

from playground.accounts.forms import choose_among_teams_of

from .models import SessionShare, Visibility
from .tree_view import visible_node


class ShareForm(forms.ModelForm):
    class Meta:
        model = SessionShare
        fields = ["visibility", "team"]
        widgets = {"visibility": forms.RadioSelect}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        choose_among_teams_of(self.fields["team"], owner)
        self.fields["visibility"].help_text = who_opens_links()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visibility") == Visibility.TEAM and not cleaned.get("team"):
            self.add_error("team", "Choose the team to share with.")
        return cleaned


def who_opens_links() -> str:
    """Who a share link lets in, as this playground is set up."""
    if settings.PLAYGROUND_ANONYMOUS_SHARE_LINKS:
        return "A link opens for anyone who has it, logged in or not."
    return (
        "A link opens only for people with an account on this playground: a visitor who "
        "is not logged in is asked to log in first (PLAYGROUND_ANONYMOUS_SHARE_LINKS lets "
        "visitors in)."
    )


class ForkForm(forms.Form):
    """A fork of a shared session: of a node of its tree, or (no node) of the whole."""

    node = forms.CharField(required=False, max_length=40)

    def __init__(self, data, *, session):
        super().__init__(data)
        self.session = session

    def clean_node(self):
        text = self.cleaned_data["node"]
        if not text:
            return None
        found = visible_node(self.session, text)
        if found is None:
            raise forms.ValidationError(
                "That node is no longer in the shared session's tree: reload the page."
            )
        return found
