"""The one way the product talks to an LLM.

Every call: explicit timeouts, the SDK's own retries off (``max_retries=0``) so that our single
retry policy below is the only one (they would multiply otherwise), the output parsed as JSON and
validated against a JSON schema, any failure classified, and one LLMCall row written with tokens,
cost, latency and outcome. Nothing raises to the caller: it gets an ``LLMResult`` and applies its
own fallback. Call it outside any row lock: the request can take the whole timeout.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from decimal import Decimal

import jsonschema
import openai
from django.conf import settings

from scenarios.models import LLMCall, ModelConfiguration

Outcome = LLMCall.Outcome
RETRYABLE = {Outcome.TIMEOUT, Outcome.RATE_LIMIT, Outcome.SERVER_ERROR, Outcome.CONNECTION}
BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 2.0
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class MalformedOutput(Exception):
    pass


@dataclass
class LLMResult:
    data: dict | None
    outcome: str
    call: LLMCall

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.OK


def api_key_of(configuration: ModelConfiguration) -> str:
    if not configuration.api_key_env:
        return "not-needed"  # local servers accept any key; the SDK insists on one
    return os.environ.get(configuration.api_key_env) or getattr(settings, configuration.api_key_env, "") or ""


def classify(exc: BaseException) -> str:
    # APITimeoutError subclasses APIConnectionError: test it first.
    if isinstance(exc, openai.APITimeoutError):
        return Outcome.TIMEOUT
    if isinstance(exc, openai.APIConnectionError):
        return Outcome.CONNECTION
    if isinstance(exc, openai.RateLimitError):
        return Outcome.RATE_LIMIT
    if isinstance(exc, openai.APIStatusError):
        return Outcome.SERVER_ERROR if exc.status_code >= 500 else Outcome.CLIENT_ERROR
    if isinstance(exc, MalformedOutput | openai.APIResponseValidationError | ValueError):
        return Outcome.MALFORMED_OUTPUT
    return Outcome.SERVER_ERROR


def _parse(message, schema: dict) -> dict:
    """The JSON object of a tool call's arguments or of the message text, validated."""
    tool_calls = getattr(message, "tool_calls", None) or []
    raw = tool_calls[0].function.arguments if tool_calls else (message.content or "")
    try:
        data = json.loads(_FENCE.sub("", raw.strip()))
    except (TypeError, json.JSONDecodeError) as exc:
        raise MalformedOutput(f"not JSON: {raw[:200]!r}") from exc
    if not isinstance(data, dict):
        raise MalformedOutput("not a JSON object")
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        raise MalformedOutput(f"schema: {exc.message}") from exc
    return data


def _retry_after(exc: BaseException, attempt: int) -> float:
    header = getattr(getattr(exc, "response", None), "headers", {}).get("retry-after") if exc else None
    try:
        wait = float(header) if header else BACKOFF_SECONDS * 2**attempt
    except ValueError:
        wait = BACKOFF_SECONDS * 2**attempt
    return min(wait, MAX_BACKOFF_SECONDS)


def complete_json(
    *,
    configuration: ModelConfiguration | None,
    purpose: str,
    messages: list[dict],
    schema: dict,
    schema_name: str = "answer",
    tools: list[dict] | None = None,
    parse=None,
) -> LLMResult:
    """``parse(message, schema) -> dict`` replaces the default reading of the answer (the agent
    needs the tool's name and free-text replies); it raises ``MalformedOutput`` to refuse one."""
    from scenarios.services.llm import llm_call_record

    if configuration is None:
        call = llm_call_record(
            configuration=None,
            purpose=purpose,
            outcome=Outcome.NOT_CONFIGURED,
            error_message="No LLM model configuration (set LLM_BASE_URL and LLM_MODEL).",
        )
        return LLMResult(None, Outcome.NOT_CONFIGURED, call)
    client = openai.OpenAI(
        base_url=configuration.base_url,
        api_key=api_key_of(configuration),
        max_retries=0,
        timeout=openai.Timeout(
            configuration.timeout_seconds, connect=min(5.0, configuration.timeout_seconds)
        ),
    )
    request = {
        "model": configuration.model_name,
        "messages": messages,
        "max_tokens": configuration.max_tokens,
        "temperature": configuration.temperature,
    }
    if tools:
        request["tools"] = tools
    else:
        request["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": schema},
        }
    started = time.perf_counter()
    input_tokens = output_tokens = 0
    outcome, error, data, attempt = Outcome.SERVER_ERROR, None, None, 0
    for attempt in range(1, max(1, configuration.max_attempts) + 1):
        try:
            response = client.chat.completions.create(**request)
            usage = response.usage
            if usage is not None:
                input_tokens += usage.prompt_tokens or 0
                output_tokens += usage.completion_tokens or 0
            if not response.choices:
                raise MalformedOutput("no choices")
            data = (parse or _parse)(response.choices[0].message, schema)
            outcome, error = Outcome.OK, None
            break
        except Exception as exc:  # classified, recorded, never raised: callers have fallbacks
            outcome, error, data = classify(exc), exc, None
            if outcome not in RETRYABLE or attempt >= configuration.max_attempts:
                break
            time.sleep(_retry_after(exc, attempt - 1))
    cost = Decimal(input_tokens) * Decimal(str(configuration.price_per_input_token)) + Decimal(
        output_tokens
    ) * Decimal(str(configuration.price_per_output_token))
    call = llm_call_record(
        configuration=configuration,
        purpose=purpose,
        outcome=outcome,
        error_class=type(error).__name__ if error else "",
        error_message=str(error)[:2000] if error else "",
        attempts=attempt,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=cost,
        latency_ms=round((time.perf_counter() - started) * 1000),
    )
    return LLMResult(data, outcome, call)
