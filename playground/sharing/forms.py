from django import forms

from .models import SessionShare, Visibility


class ShareForm(forms.ModelForm):
    class Meta:
        model = SessionShare
        fields = ["visibility", "team"]
        widgets = {"visibility": forms.RadioSelect}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = owner.groups.order_by("name")
        self.fields["team"].help_text = "Teams are the groups you belong to."
        self.fields["team"].empty_label = "Choose a team"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visibility") == Visibility.TEAM and not cleaned.get("team"):
            self.add_error("team", "Choose the team to share with.")
        return cleaned
