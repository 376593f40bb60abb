from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    """Existing conversations continue their numbering after their last call and turn."""
    Conversation = apps.get_model("scenarios", "Conversation")
    ToolCall = apps.get_model("scenarios", "ToolCall")
    Turn = apps.get_model("scenarios", "Turn")
    last_seq = (
        ToolCall.objects.filter(conversation=OuterRef("pk"))
        .values("conversation")
        .annotate(n=Max("seq"))
        .values("n")
    )
    last_index = (
        Turn.objects.filter(conversation=OuterRef("pk"))
        .values("conversation")
        .annotate(n=Max("index"))
        .values("n")
    )
    Conversation.objects.update(
        tool_call_count=Coalesce(Subquery(last_seq), 0), turn_count=Coalesce(Subquery(last_index), 0)
    )


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0004_scenario_tests")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="tool_call_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="conversation",
            name="turn_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
