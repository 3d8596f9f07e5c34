from rest_framework import generics

from notes.models import Note
from notes.serializers import NoteSerializer


class NoteList(generics.ListCreateAPIView):
    """GET lists the notes, newest first; POST {"title", "body"} adds one."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
