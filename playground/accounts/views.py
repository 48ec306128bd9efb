from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render


def signup(request):
    if not settings.PLAYGROUND_OPEN_SIGNUP:
        raise Http404("Sign-up is closed on this playground.")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("playground")
    return render(request, "registration/signup.html", {"form": form})
