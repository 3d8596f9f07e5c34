"""The worker: `python manage.py process_notes`, the start command of the worker Web App.

Every --interval seconds it counts the words of the notes not processed yet, until App
Service stops the container (SIGTERM). It runs the API's image with another start command,
so one build serves both.

App Service starts a container only once it answers HTTP on its port (WEBSITES_PORT), and
restarts one that never does, so the worker answers every GET on that port with its version.
"""
import json
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone

from notes.models import Note

log = logging.getLogger("notes.worker")


def default_port():
    return int(os.environ.get("PORT") or os.environ.get("WEBSITES_PORT") or 8000)


class PingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "role": "worker", "version": settings.APP_VERSION}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App-Version", settings.APP_VERSION)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # App Service pings often; its probes are not worth a log line each


def process_waiting(batch):
    """Counts the words of up to `batch` waiting notes; returns how many it processed.

    SKIP LOCKED lets several worker instances share the queue without doing a note twice.
    """
    with transaction.atomic():
        waiting = list(Note.objects.select_for_update(skip_locked=True).filter(processed__isnull=True).order_by("id")[:batch])
        now = timezone.now()
        for note in waiting:
            note.words = len(f"{note.title} {note.body}".split())
            note.processed = now
            note.save(update_fields=["words", "processed"])
    return len(waiting)


class Command(BaseCommand):
    help = "Counts the words of new notes every --interval seconds until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between two looks at the queue (5)")
        parser.add_argument("--batch", type=int, default=100, help="notes per transaction (100)")
        parser.add_argument("--once", action="store_true", help="process what is waiting, then exit (no HTTP listener)")
        parser.add_argument("--port", type=int, default=None, help="where to answer App Service's pings (PORT, WEBSITES_PORT or 8000; 0: none)")

    def handle(self, *args, interval, batch, once, port, **options):
        if once:
            count = process_waiting(batch)
            self.stdout.write(f"process_notes: processed {count} note(s)")
            return

        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())

        port = default_port() if port is None else port
        server = None
        if port:
            server = ThreadingHTTPServer(("0.0.0.0", port), PingHandler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        log.info("process_notes %s: every %ss%s", settings.APP_VERSION, interval, f", answering pings on port {port}" if port else "")

        while not stop.is_set():
            try:
                count = process_waiting(batch)
                if count:
                    log.info("process_notes: processed %d note(s)", count)
            except DatabaseError as error:
                # A database that restarts or fails over must not end the worker: retry later.
                log.warning("process_notes: the database failed (%s); retrying in %ss", error, interval)
                close_old_connections()
            stop.wait(interval)

        if server:
            server.shutdown()
        log.info("process_notes: stopped")
