from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.run_detail, name="run_detail"),
    path("<int:pk>/code/", views.run_code, name="run_code"),
    path("<int:pk>/document/", views.run_document, name="run_document"),
    path("<int:pk>/prune/", views.run_prune, name="run_prune"),
    path("<int:pk>/unprune/", views.run_unprune, name="run_unprune"),
]
