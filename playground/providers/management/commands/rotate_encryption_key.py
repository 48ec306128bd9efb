"""`manage.py rotate_encryption_key`: every stored secret, re-encrypted with the current key.

Run it after changing PLAYGROUND_ENCRYPTION_KEY (the old one in
PLAYGROUND_OLD_ENCRYPTION_KEYS) or SECRET_KEY (the old one in SECRET_KEY_FALLBACKS); once
it reports nothing unreadable, the old keys can be removed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from playground.providers.models import Provider
from playground.providers.secrets import EncryptedTextField, rotate

SECRET_FIELDS = [
    field.name for field in Provider._meta.get_fields() if isinstance(field, EncryptedTextField)
]


class Command(BaseCommand):
    help = "Re-encrypt every provider's API key and header values with the current key."

    def handle(self, *args, **options):
        rotated, unreadable = 0, []
        # The columns as stored: read through the model field, they would come decrypted.
        stored = Provider.objects.annotate(
            **{f"stored_{name}": Cast(name, models.TextField()) for name in SECRET_FIELDS}
        ).order_by("pk")
        with transaction.atomic():
            for provider in stored.select_for_update():
                tokens, lost = {}, False
                for name in SECRET_FIELDS:
                    token = getattr(provider, f"stored_{name}")
                    if not token:
                        continue
                    try:
                        tokens[name] = models.Value(rotate(token), output_field=models.TextField())
                    except ValueError:
                        lost = True
                if tokens:
                    Provider.objects.filter(pk=provider.pk).update(**tokens)
                if lost:
                    # What no key reads is left as it is: the key that does may yet be found.
                    unreadable.append(f"“{provider.name}” (id {provider.pk})")
                elif tokens:
                    rotated += 1
        plural = "" if rotated == 1 else "s"
        self.stdout.write(
            f"Re-encrypted the secrets of {rotated} provider{plural} with the current key."
        )
        if unreadable:
            raise CommandError(
                "No configured key decrypts the secrets of these providers, so they were left "
                f"as they are: {', '.join(unreadable)}. Add the key they were encrypted with "
                "to PLAYGROUND_OLD_ENCRYPTION_KEYS (or their SECRET_KEY to "
                "SECRET_KEY_FALLBACKS) and run this again, or enter their secrets anew."
            )
