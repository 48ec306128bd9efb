"""What a provider's base URL may look like."""

import re

from django.core.validators import URLValidator


class BaseURLValidator(URLValidator):
    """An http(s) URL without user name or password, whose host may be a single label.

    Django's URLValidator wants a top-level domain, but Docker service names and LAN hosts
    have none (http://ollama:11434/v1). Numeric hosts such as 127.1 pass too: where a host
    may lead is for the address rules (addresses.py) to decide, not for its spelling.
    """

    schemes = ["http", "https"]
    host_re = URLValidator.hostname_re + URLValidator.domain_re + r"\.?"
    regex = re.compile(
        r"^https?://"
        r"(?:" + URLValidator.ipv4_re + "|" + URLValidator.ipv6_re + "|" + host_re + ")"
        r"(?::[0-9]{1,5})?"  # port
        r"(?:[/?#][^\s]*)?"  # path, query and fragment
        r"\Z",
        re.IGNORECASE,
    )
