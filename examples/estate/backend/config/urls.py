from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz),
    path("api/", include("notes.urls")),
]
