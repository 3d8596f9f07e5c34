"""GET /healthz: which build is serving, without touching the database.

A deploy switches a Web App to a new image and then waits until this answers the new
commit. App Service keeps the old container serving until the new one is up, so "200"
alone proves nothing; the version does. The database is left out on purpose: a slow or
migrating database must not make App Service restart healthy containers.
"""
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    response = JsonResponse({"status": "ok", "version": settings.APP_VERSION})
    response["X-App-Version"] = settings.APP_VERSION
    return response
