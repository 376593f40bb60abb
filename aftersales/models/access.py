from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class StaffProfile(models.Model):
    """Which regions a staff user may see and act in. Superusers are never limited."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    all_regions = models.BooleanField(
        default=False, help_text="Not limited to regions (global teams). Otherwise only the regions listed."
    )
    regions = models.ManyToManyField("aftersales.Region", blank=True, related_name="staff_profiles")

    def __str__(self) -> str:
        return f"profile of {self.user}"


class ApiClient(AbstractAPIKey):
    """A machine client of the API (the chatbot). Only the key's hash is stored (PBKDF2 via
    djangorestframework-api-key); the key itself is shown once, at creation."""

    regions = models.ManyToManyField("aftersales.Region", related_name="api_clients")
    throttle_rate = models.CharField(
        max_length=20,
        blank=True,
        help_text="Requests allowed for this client, e.g. 600/min. Empty: the default rate.",
    )
    may_assert_identity = models.BooleanField(
        default=False,
        help_text="Trusted to name an already verified customer when it opens a conversation.",
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API client"
        verbose_name_plural = "API clients"
