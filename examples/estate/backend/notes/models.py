from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Filled in by the worker (`python manage.py process_notes`), not by the API.
    words = models.PositiveIntegerField(null=True, blank=True)
    processed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return self.title
