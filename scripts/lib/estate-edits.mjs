// Changes a team makes to examples/estate between two pushes, as the end-to-end tests and the
// demo push them: a new model with its migration and its API, a migration that fails, a
// column added the expand/contract way, and edits to the site. Each edit maps a file of the
// working clone to a function from its text (undefined for a new file) to the new text, or
// null to delete it: `applyEdits(work, edits)` gives the changes to commit.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** An edit that replaces `from` (a string or RegExp) and refuses to be a silent no-op. */
export const replace = (from, to) => text => {
  const next = String(text ?? '').replace(from, to)
  if (next === text) throw new Error(`estate edit found nothing to replace: ${from}`)
  return next
}

/** An edit that adds `block` at the end of the file. */
export const append = block => text => `${String(text ?? '').trimEnd()}\n${block.startsWith('\n') ? '' : '\n'}${block.trimEnd()}\n`

/** An edit that writes a new file (or replaces one) with `content`. */
export const write = content => () => content

/** An edit that deletes the file. */
export const remove = () => () => null

/**
 * The changes to commit: each edited file's new content (null: deleted), from the files of
 * `work` as they are now.
 * @param {string} work the working clone
 * @param {Record<string, (text: string | undefined) => string | null>} edits
 * @returns {Record<string, string | null>}
 */
export function applyEdits(work, edits) {
  const changes = {}
  for (const [file, edit] of Object.entries(edits)) {
    const absolute = path.join(work, file)
    changes[file] = edit(existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined)
  }
  return changes
}

const NOTES = 'backend/notes'

/**
 * A new model, `Tag`, with its migration (0002, a new table) and its API at /api/tags/
 * (list and create). Its API answers only once the migration ran: before, every call is a
 * 500 `ProgrammingError` (relation "notes_tag" does not exist).
 */
export const tagModel = {
  [`${NOTES}/models.py`]: append(`

class Tag(models.Model):
    """A label for notes. Its table comes with migration 0002."""

    name = models.SlugField(unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
`),
  [`${NOTES}/migrations/0002_tag.py`]: write(`from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notes', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.SlugField(unique=True)),
                ('created', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
    ]
`),
  [`${NOTES}/serializers.py`]: text =>
    append(`

class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "created"]
        read_only_fields = ["created"]
`)(replace('from notes.models import Note', 'from notes.models import Note, Tag')(text)),
  [`${NOTES}/views.py`]: text =>
    append(`

class TagList(generics.ListCreateAPIView):
    """GET lists the tags by name; POST {"name"} adds one."""

    queryset = Tag.objects.all()
    serializer_class = TagSerializer
`)(replace('from notes.models import Note\nfrom notes.serializers import NoteSerializer', 'from notes.models import Note, Tag\nfrom notes.serializers import NoteSerializer, TagSerializer')(text)),
  [`${NOTES}/urls.py`]: text =>
    replace('from notes.views import NoteList', 'from notes.views import NoteList, TagList')(
      replace('    path("notes/", NoteList.as_view(), name="note-list"),\n', '    path("notes/", NoteList.as_view(), name="note-list"),\n    path("tags/", TagList.as_view(), name="tag-list"),\n')(text)
    )
}

/** The file of the migration that fails (Django's ProgrammingError: the column does not exist). */
export const FAILING_MIGRATION = `${NOTES}/migrations/0003_backfill_tag_slugs.py`

/**
 * A data migration written against a column that does not exist: `migrate` stops with
 * Django's `ProgrammingError: column "slug" does not exist`, and Postgres rolls the
 * migration's transaction back (nothing applied).
 */
export const failingMigration = {
  [FAILING_MIGRATION]: write(`from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notes', '0002_tag'),
    ]

    operations = [
        migrations.RunSQL("UPDATE notes_tag SET name = lower(slug)", reverse_sql=migrations.RunSQL.noop),
    ]
`)
}

/** The failing migration taken out again (the fix a team pushes next). */
export const withoutFailingMigration = { [FAILING_MIGRATION]: remove() }

/**
 * Expand, the first half of expand/contract: a nullable `color` on Tag (migration 0003), so
 * that the code still running while the release step migrates keeps working; the API reads
 * and writes it.
 */
export const tagColor = {
  [`${NOTES}/models.py`]: replace('    name = models.SlugField(unique=True)\n', '    name = models.SlugField(unique=True)\n    # Nullable: the release before this one inserts tags without it.\n    color = models.CharField(max_length=20, null=True, blank=True)\n'),
  [`${NOTES}/migrations/0003_tag_color.py`]: write(`from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notes', '0002_tag'),
    ]

    operations = [
        migrations.AddField(
            model_name='tag',
            name='color',
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
    ]
`),
  [`${NOTES}/serializers.py`]: replace('fields = ["id", "name", "created"]', 'fields = ["id", "name", "color", "created"]')
}
