from django.conf import settings
from django.db import models


class WorkerProbe(models.Model):
    """A round trip through the broker: ops ask "are the workers consuming?" and see how long the
    answer took. Also what the test suite uses to prove a real worker runs enqueued-on-commit work."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        ANSWERED = "answered", "answered"

    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"probe {self.pk} ({self.status})"

    @property
    def round_trip_ms(self) -> float | None:
        if self.answered_at is None:
            return None
        return round((self.answered_at - self.requested_at).total_seconds() * 1000, 1)
