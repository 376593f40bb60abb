from django.core.validators import RegexValidator
from django.db import models


class Region(models.Model):
    """A market the marketplace sells in. The code is the natural key used everywhere (API, FKs)."""

    code = models.CharField(
        max_length=8,
        primary_key=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", "Use an upper-case market code such as US or ID.")],
    )
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD.")
    time_zone = models.CharField(max_length=64, help_text="IANA name, e.g. Asia/Jakarta.")
    language = models.CharField(max_length=16, help_text="BCP 47 tag, e.g. id-ID.")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"
