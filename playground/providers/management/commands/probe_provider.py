"""`manage.py probe_provider <id> [--model M]`: measures what a provider honours, and keeps it."""

from django.core.management.base import BaseCommand, CommandError

from playground.ids import parse_id
from playground.providers.capabilities import table
from playground.providers.models import Provider
from playground.providers.probe import probe_and_record


class Command(BaseCommand):
    help = "Probe a provider with a few tiny requests and store what it honours for a model."

    def add_arguments(self, parser):
        parser.add_argument("provider", help="The provider's id (see the admin).")
        parser.add_argument("--model", default="", help="Default: the provider's default model.")

    def handle(self, *args, provider, model, **options):
        pk = parse_id(provider)
        found = Provider.objects.select_related("owner").filter(pk=pk).first() if pk else None
        if found is None:
            raise CommandError(f"No provider has the id {provider!r}.")
        row = probe_and_record(found, model.strip())
        self.stdout.write(f"{found.name}, model {row.model or '(none)'}:")
        for line in table(row):
            self.stdout.write(f"  {line.label}: {line.shown}. {line.evidence}")
