from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_post_parameters

from .forms import ThrottledAuthenticationForm, begin_attempt


class _ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    # The attempt the throttle admitted or refused (None for the page itself).
    attempt = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "attempt": self.attempt}


@sensitive_post_parameters()
async def log_in(request):
    """Django's login view, once an attempt has waited as long as the throttle asks.

    Async, so that a wait holds no thread: Django runs every sync view of a process on one
    thread under ASGI, where one waiting login would hold up every other page.
    """
    attempt = None
    if request.method == "POST":
        attempt = await sync_to_async(begin_attempt)(request)
        if attempt.wait:
            await import_string(settings.PLAYGROUND_LOGIN_SLEEP)(attempt.wait)
    return await sync_to_async(_ThrottledLoginView.as_view(attempt=attempt))(request)


def signup(request):
    if not settings.PLAYGROUND_OPEN_SIGNUP:
        raise Http404("Sign-up is closed on this playground.")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("playground")
    return render(request, "registration/signup.html", {"form": form})
