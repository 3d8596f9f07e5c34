from django.urls import path

from notes.views import NoteList

urlpatterns = [
    path("notes/", NoteList.as_view(), name="note-list"),
]
