from django.core.validators import MinValueValidator
from django.db import models


class ModelConfiguration(models.Model):
    """How to reach one LLM. The key is never stored: only the name of the environment variable
    that holds it, read at call time."""

    class Kind(models.TextChoices):
        LOCAL = "local", "Local server (vLLM, Ollama…), no key"
        OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible endpoint"

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.OPENAI_COMPATIBLE)
    base_url = models.URLField(max_length=300)
    model_name = models.CharField(max_length=200)
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of the environment variable holding the API key, e.g. LLM_API_KEY.",
    )
    timeout_seconds = models.FloatField(default=20.0, validators=[MinValueValidator(0.1)])
    max_tokens = models.PositiveIntegerField(default=512)
    temperature = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    max_attempts = models.PositiveSmallIntegerField(
        default=2, help_text="Attempts per call, first included (our retry policy; SDK retries are off)."
    )
    price_per_input_token = models.DecimalField(max_digits=14, decimal_places=10, default=0)
    price_per_output_token = models.DecimalField(max_digits=14, decimal_places=10, default=0)
    is_default = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_model_configuration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_name})"


class LLMCall(models.Model):
    """Every call to an LLM, successful or not: the cost and failure log."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        TIMEOUT = "timeout", "Timeout"
        RATE_LIMIT = "rate_limit", "Rate limited"
        SERVER_ERROR = "server_error", "Server error"
        MALFORMED_OUTPUT = "malformed_output", "Malformed output"
        CONNECTION = "connection", "Connection failed"
        CLIENT_ERROR = "client_error", "Refused request"
        NOT_CONFIGURED = "not_configured", "Not configured"

    configuration = models.ForeignKey(
        ModelConfiguration, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    purpose = models.CharField(max_length=64, help_text="e.g. identify, judge_evidence.")
    model_name = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    error_class = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["purpose", "outcome"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.outcome} ({self.latency_ms} ms)"

    @property
    def is_ok(self) -> bool:
        return self.outcome == self.Outcome.OK
