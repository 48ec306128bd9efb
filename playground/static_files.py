"""Serves the static files in-process, with the security headers the pages get.

Django's static files handler answers before any middleware runs, so SecurityMiddleware's
`X-Content-Type-Options: nosniff` never reached a script or a stylesheet: a browser could
then sniff an uploaded-looking file as something else. The handler adds it itself.
"""

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler


class StaticFilesHandler(ASGIStaticFilesHandler):
    async def get_response_async(self, request):
        response = await super().get_response_async(request)
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
