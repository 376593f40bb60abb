from django.db import models


class Scenario(models.Model):
    """One automatable aftersales situation. Identification maps a customer message to its key;
    versions, flows and routing hang off it in later work."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(
        help_text="What the customer wants, in plain words: the LLM identifier reads it to decide."
    )
    regions = models.ManyToManyField("aftersales.Region", blank=True, related_name="scenarios")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
