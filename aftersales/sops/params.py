"""Typed SOP parameters: what each type accepts, how it is stored (JSON) and read back (Python)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models


class ParameterType(models.TextChoices):
    INTEGER = "integer", "integer"
    DECIMAL = "decimal", "decimal (money: the unit is the currency)"
    DURATION = "duration", "duration (the unit is minutes, hours or days)"
    BOOLEAN = "boolean", "boolean"
    CHOICE = "choice", "one of the choices"
    LIST = "list", "list of choices"


DURATION_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
NUMERIC_TYPES = {ParameterType.INTEGER, ParameterType.DECIMAL, ParameterType.DURATION}


def parameter_value_clean(type_, value, *, unit="", min_value=None, max_value=None, choices=()):
    """The stored (JSON) form of ``value`` for a parameter of ``type_``, or ValidationError.

    Decimals are stored as strings so that JSON never rounds money through a float.
    """
    if type_ == ParameterType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(f"{value!r} is not true or false.")
        return value
    if type_ == ParameterType.CHOICE:
        if value not in choices:
            raise ValidationError(f"{value!r} is not one of {', '.join(choices)}.")
        return value
    if type_ == ParameterType.LIST:
        if not isinstance(value, list) or any(item not in choices for item in value):
            raise ValidationError(f"{value!r} is not a list drawn from {', '.join(choices)}.")
        if len(set(value)) != len(value):
            raise ValidationError("A list parameter names each choice once.")
        return value
    if type_ == ParameterType.DURATION and unit not in DURATION_UNITS:
        raise ValidationError(f"A duration's unit is one of {', '.join(DURATION_UNITS)}.")
    if type_ == ParameterType.DECIMAL:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise ValidationError(f"{value!r} is not a decimal number.") from None
        if not number.is_finite():
            raise ValidationError(f"{value!r} is not a decimal number.")
        stored = str(number)
    else:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{value!r} is not a whole number.")
        number, stored = Decimal(value), value
    if min_value is not None and number < min_value:
        raise ValidationError(f"{value} is below the allowed minimum {min_value}.")
    if max_value is not None and number > max_value:
        raise ValidationError(f"{value} is above the allowed maximum {max_value}.")
    return stored


def parameter_value_python(type_, value, unit=""):
    """The stored value as the Python type callers compute with (Decimal, timedelta, ...)."""
    if type_ == ParameterType.DECIMAL:
        return Decimal(value)
    if type_ == ParameterType.DURATION:
        return timedelta(seconds=value * DURATION_UNITS[unit])
    if type_ == ParameterType.LIST:
        return list(value)
    return value


def parameter_value_number(type_, value, unit="") -> Decimal | None:
    """A comparable number for numeric parameters (constraints, consistency spreads); else None.
    Durations compare in seconds, whatever unit each side was written in."""
    if type_ not in NUMERIC_TYPES:
        return None
    if type_ == ParameterType.DURATION:
        return Decimal(value * DURATION_UNITS.get(unit, 1))
    return Decimal(str(value))
