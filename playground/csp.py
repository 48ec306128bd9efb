"""The Content-Security-Policy on every response, Django's own debug pages included.

Django exempts its debug pages (the technical 404 and 500) from the policy so that their
inline styles and scripts run. README promises the policy on every page in every mode, and a
development server is often reachable by others, so they get it too: they render unstyled,
but every word of them is still there.
"""

from django.middleware.csp import ContentSecurityPolicyMiddleware


class PolicyOnEveryPageMiddleware(ContentSecurityPolicyMiddleware):
    def process_response(self, request, response):
        # csp_override({}) is how Django's debug views opt out; no view of ours does.
        if getattr(response, "_csp_config", None) == {}:
            del response._csp_config
        return super().process_response(request, response)
