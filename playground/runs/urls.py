from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.run_detail, name="run_detail"),
    path("<int:pk>/code/", views.run_code, name="run_code"),
]
