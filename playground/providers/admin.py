from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from .capabilities import table
from .forms import ProviderForm
from .models import Provider
from .tasks import probe_after_commit


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """Staff manage shared providers here; the key is write-only, as on the settings page."""

    form = ProviderForm
    list_display = ["name", "base_url", "auth_style", "owner", "has_api_key"]
    list_filter = ["auth_style"]
    fields = [
        "owner",
        "name",
        "base_url",
        "auth_style",
        "api_key",
        "clear_api_key",
        "extra_headers",
        "clear_extra_headers",
        "default_model",
        "price_prompt_per_million",
        "price_completion_per_million",
        "max_concurrency",
        "what_it_honours",
    ]
    # Measured by the probe, never typed in: Probe now is on the providers page.
    readonly_fields = ["what_it_honours"]

    def get_fields(self, request, obj=None):
        # The boxes that remove a stored key or headers, only where there is one.
        removable = ProviderForm.removable(obj)
        return [
            name
            for name in super().get_fields(request, obj)
            if name not in ProviderForm.STORED.values() or name in removable
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The model fields of the settings page's form, and the owner (staff choose it).
        kwargs["fields"] = ["owner", *ProviderForm.Meta.fields]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="what it honours")
    def what_it_honours(self, provider):
        lines = [
            (row.model, line.label, line.shown)
            for row in provider.capabilities.all()
            for line in table(row)
        ]
        measured = format_html_join("\n", "<div>{}: {}: {}</div>", lines)
        if provider.probe_queued_at:
            queued = format_html(
                "<div>A probe was queued at {} and has not finished yet: the background worker "
                "runs it.</div>",
                date_format(localtime(provider.probe_queued_at), "Y-m-d H:i"),
            )
            return queued + measured
        return measured or "Not probed yet."

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or form.changes_what_it_answers():
            probe_after_commit(obj)

    @admin.display(boolean=True, description="key set")
    def has_api_key(self, provider):
        return provider.has_api_key

    def change_view(self, request, object_id, form_url="", extra_context=None):
        provider = self.get_object(request, object_id)
        if provider is not None and provider.secrets_unreadable and request.method == "GET":
            messages.warning(request, provider.unreadable_message())
        return super().change_view(request, object_id, form_url, extra_context)
