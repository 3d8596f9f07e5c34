"""gunicorn's settings, read from the working folder when it starts (`gunicorn config.wsgi`).

A -b/--bind on the command line (the deploy config's `command`) wins over `bind` here.
"""
import os

# App Service tells the container its port in PORT (WEBSITES_PORT is the app setting behind it).
bind = f"0.0.0.0:{os.environ.get('PORT') or os.environ.get('WEBSITES_PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# App Service's front end keeps connections open: answer on the same connection for a while.
keepalive = 5
accesslog = "-"
errorlog = "-"
# Only App Service's front end reaches the container: trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
