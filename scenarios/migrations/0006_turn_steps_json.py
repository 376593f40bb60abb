"""A turn's steps move from one row per step (TurnStep) into a JSON list on the Turn: they were only
ever written and read with their turn, and the extra INSERT was a round trip on every message."""

from django.db import migrations, models

FIELDS = ("step_id", "type", "clause", "detail", "duration_ms")


def steps_into_turns(apps, schema_editor):
    Turn = apps.get_model("scenarios", "Turn")
    TurnStep = apps.get_model("scenarios", "TurnStep")
    pending: dict[int, list] = {}

    def flush():
        turns = [Turn(pk=pk, steps=steps) for pk, steps in pending.items()]
        Turn.objects.bulk_update(turns, ["steps"], batch_size=500)
        pending.clear()

    rows = TurnStep.objects.order_by("turn_id", "position").values_list("turn_id", *FIELDS)
    for turn_id, step_id, type_, clause, detail, duration_ms in rows.iterator(chunk_size=2000):
        if turn_id not in pending and len(pending) >= 500:
            flush()
        pending.setdefault(turn_id, []).append(
            {"step": step_id, "type": type_, "clause": clause, "detail": detail, "duration_ms": duration_ms}
        )
    flush()


def steps_into_rows(apps, schema_editor):
    Turn = apps.get_model("scenarios", "Turn")
    TurnStep = apps.get_model("scenarios", "TurnStep")
    for turn in Turn.objects.exclude(steps=[]).only("pk", "steps").iterator(chunk_size=500):
        TurnStep.objects.bulk_create(
            TurnStep(
                turn_id=turn.pk,
                position=position,
                step_id=step["step"],
                type=step["type"],
                clause=step["clause"],
                detail=step["detail"],
                duration_ms=step["duration_ms"],
            )
            for position, step in enumerate(turn.steps, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("scenarios", "0005_conversation_counters")]

    operations = [
        # The rows' reverse name was "steps": free it for the field first.
        migrations.AlterField(
            model_name="turnstep",
            name="turn",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE, related_name="step_rows", to="scenarios.turn"
            ),
        ),
        migrations.AddField(
            model_name="turn",
            name="steps",
            field=models.JSONField(blank=True, default=list, help_text="The steps the turn ran, in order."),
        ),
        migrations.RunPython(steps_into_turns, steps_into_rows),
        migrations.DeleteModel(name="TurnStep"),
    ]
