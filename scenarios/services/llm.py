from decimal import Decimal

from django.conf import settings
from django.db import transaction

from scenarios.models import LLMCall, ModelConfiguration

DEFAULT_NAME = "default"


def llm_call_record(
    *,
    configuration: ModelConfiguration | None,
    purpose: str,
    outcome: str,
    error_class: str = "",
    error_message: str = "",
    attempts: int = 0,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost: Decimal = Decimal(0),
    latency_ms: int = 0,
) -> LLMCall:
    call = LLMCall(
        configuration=configuration,
        purpose=purpose,
        model_name=configuration.model_name if configuration else "",
        outcome=outcome,
        error_class=error_class[:200],
        error_message=error_message,
        attempts=attempts,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=cost.quantize(Decimal("0.00000001")),
        latency_ms=latency_ms,
    )
    call.full_clean()
    call.save()
    return call


@transaction.atomic
def model_configuration_ensure_default(*, actor=None) -> ModelConfiguration | None:
    """The default configuration: the one marked default, else one made from LLM_BASE_URL /
    LLM_MODEL (the key stays in LLM_API_KEY), else None when those are not set."""
    existing = ModelConfiguration.objects.select_for_update().filter(is_default=True).first()
    if existing is not None:
        return existing
    if not (settings.LLM_BASE_URL and settings.LLM_MODEL):
        return None
    configuration = ModelConfiguration(
        name=DEFAULT_NAME,
        kind=ModelConfiguration.Kind.OPENAI_COMPATIBLE
        if settings.LLM_API_KEY
        else ModelConfiguration.Kind.LOCAL,
        base_url=settings.LLM_BASE_URL,
        model_name=settings.LLM_MODEL,
        api_key_env="LLM_API_KEY" if settings.LLM_API_KEY else "",
        is_default=True,
    )
    configuration.full_clean()
    configuration.save()
    return configuration
