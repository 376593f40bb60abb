from django.conf import settings
from django.db import models


class TrainingExample(models.Model):
    class Source(models.TextChoices):
        ADMIN = "admin", "Written in the admin"
        CSV = "csv", "Imported from CSV"
        BITEXT = "bitext", "Bitext public set"
        OWN = "own", "Redress's own examples"
        CONVERSATION = "conversation", "From a conversation"

    text = models.TextField(max_length=1000)
    scenario = models.ForeignKey("scenarios.Scenario", on_delete=models.CASCADE, related_name="examples")
    language = models.CharField(max_length=16, default="en", help_text="BCP 47 tag, e.g. en or id.")
    region = models.ForeignKey(
        "aftersales.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_examples",
        help_text="Empty: used for every region.",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ADMIN)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scenario__key", "id"]
        constraints = [
            # Re-importing the same file must not duplicate rows (imports are idempotent).
            models.UniqueConstraint(fields=["scenario", "text", "language"], name="uniq_example_text"),
        ]
        indexes = [models.Index(fields=["source"])]

    def __str__(self) -> str:
        return f"{self.scenario.key}: {self.text[:60]}"


class IdentifierModel(models.Model):
    """One trained version of the embedded identifier. The fitted pipeline is stored in the row
    (not on a disk) so that every web and worker process on any machine loads the same bytes."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done while training.")
    stage = models.CharField(max_length=120, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    n_examples = models.PositiveIntegerField(default=0)
    labels = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    artifact = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"identifier v{self.version} ({self.status})"

    @property
    def name(self) -> str:
        return f"embedded-v{self.version}"
