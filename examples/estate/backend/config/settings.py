"""Settings of the Tidepool API, read from environment variables (App Service passes its app
settings to the container as environment variables).

  DJANGO_SECRET_KEY   required unless DJANGO_DEBUG is on (from a secret or a Key Vault
                      reference, never committed)
  DJANGO_DEBUG        "1"/"true" for local work only; off by default
  DATABASE_URL        postgres://user:password@host:5432/name?sslmode=require; without it the
                      libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD apply
  DJANGO_ALLOWED_HOSTS  extra host names, comma-separated (a custom domain of the API)
  WEBSITE_HOSTNAME    set by App Service (<app>.azurewebsites.net): allowed automatically
  DJANGO_CORS_ALLOWED_ORIGINS  the site's origins, comma-separated (https://www.example.com)
  APP_VERSION         the commit the image was built from (a build arg), served by /healthz
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in {"1", "true", "yes", "on"}

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set: add it to the app settings (or set DJANGO_DEBUG=1 for local work)")
    SECRET_KEY = "insecure-local-development-key"

APP_VERSION = os.environ.get("APP_VERSION", "unknown")

# App Service routes <app>.azurewebsites.net (and <app>-<slot>.azurewebsites.net) to the
# container and sets WEBSITE_HOSTNAME; its start-up probe and a local run use loopback.
ALLOWED_HOSTS = [".azurewebsites.net", "localhost", "127.0.0.1", *env_list("DJANGO_ALLOWED_HOSTS")]
if os.environ.get("WEBSITE_HOSTNAME"):
    ALLOWED_HOSTS.append(os.environ["WEBSITE_HOSTNAME"])

# App Service ends TLS in front of the container and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "notes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    # Empty values fall back to libpq's own defaults (a local socket, the user's name).
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "tidepool"),
            "USER": os.environ.get("PGUSER", ""),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "HOST": os.environ.get("PGHOST", ""),
            "PORT": os.environ.get("PGPORT", ""),
            "CONN_MAX_AGE": 60,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Collected into the image at build time (`collectstatic` in the Dockerfile) and served by
# the app itself through WhiteNoise, with hashed names and far-future caching.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

CORS_ALLOWED_ORIGINS = env_list("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = DEBUG and not CORS_ALLOWED_ORIGINS

REST_FRAMEWORK = {
    # An open example API: no sign-in, so no session and no CSRF token to fetch first.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}

# Everything to stdout/stderr: App Service's log stream and `docker logs` show it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
