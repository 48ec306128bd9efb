from django.conf import settings


def signup(request):
    return {"signup_open": settings.PLAYGROUND_OPEN_SIGNUP}
