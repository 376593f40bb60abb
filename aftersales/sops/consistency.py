"""Consistency of SOPs across regions, and the cross-SOP constraints that ops declare.

The constraint check is also the publish guard: ``constraint_violations`` is asked with the
candidate version in place of what is in force, so the violation a publish would create is
refused before it exists.
"""

from __future__ import annotations

import operator as op
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from aftersales.models import Sop, SopConstraint, SopVersion
from aftersales.selectors.sops import sop_live_publications, sop_version_resolved, sop_version_with_content
from aftersales.sops.params import parameter_value_number

OPERATORS = {"lte": op.le, "lt": op.lt, "eq": op.eq, "gte": op.ge, "gt": op.gt}


@dataclass(frozen=True)
class Violation:
    constraint: str
    region: str
    left: str
    right: str
    reason: str

    def as_dict(self) -> dict:
        return {
            "constraint": self.constraint,
            "region": self.region,
            "left": self.left,
            "right": self.right,
            "reason": self.reason,
        }


class ResolvedParameters:
    """Resolved parameters per (SOP, region): what is in force, or a candidate version in its place."""

    def __init__(self, candidate: SopVersion | None = None, candidate_regions=()):
        self.candidate = candidate
        self.candidate_regions = set(candidate_regions)
        self._cache: dict[tuple[int, str], dict | None] = {}
        self._live: dict[int, dict] = {}

    def get(self, sop_id: int, region: str) -> dict | None:
        key = (sop_id, region)
        if key not in self._cache:
            self._cache[key] = self._load(sop_id, region)
        return self._cache[key]

    def _load(self, sop_id: int, region: str) -> dict | None:
        if (
            self.candidate is not None
            and self.candidate.sop_id == sop_id
            and region in self.candidate_regions
        ):
            return sop_version_resolved(self.candidate, region)["parameters"]
        if sop_id not in self._live:
            self._live[sop_id] = sop_live_publications(Sop(pk=sop_id))
        publication = self._live[sop_id].get(region)
        if publication is None:
            return None
        return sop_version_resolved(sop_version_with_content(publication.version_id), region)["parameters"]


def _side(parameters: dict | None, name: str):
    if parameters is None or name not in parameters:
        return None
    return parameters[name]


def constraint_violations(constraints, resolved: ResolvedParameters, regions) -> list[Violation]:
    """Violations of ``constraints`` in ``regions``. A side with no value in force is not checked
    (nothing is published there yet, so nothing can contradict it)."""
    violations = []
    for constraint in constraints:
        for region in sorted(regions):
            left = _side(resolved.get(constraint.left_sop_id, region), constraint.left_parameter)
            right = _side(resolved.get(constraint.right_sop_id, region), constraint.right_parameter)
            if left is None or right is None:
                continue
            left_text = (
                f"{constraint.left_sop.key}.{constraint.left_parameter} = {left['value']} {left['unit']}"
            )
            right_text = (
                f"{constraint.right_sop.key}.{constraint.right_parameter} = {right['value']} {right['unit']}"
            )
            left_number = parameter_value_number(left["type"], left["value"], left["unit"])
            right_number = parameter_value_number(right["type"], right["value"], right["unit"])
            if left_number is None or right_number is None:
                numeric_only = constraint.operator != "eq"
                holds = not numeric_only and left["value"] == right["value"]
                reason = "only = compares non-numeric values" if numeric_only else "values differ"
            elif left["type"] == "decimal" and left["unit"] != right["unit"]:
                holds, reason = False, "different currencies cannot be compared"
            else:
                holds = OPERATORS[constraint.operator](left_number, right_number)
                reason = f"{left['value']} {constraint.get_operator_display()} {right['value']} does not hold"
            if not holds:
                violations.append(
                    Violation(
                        constraint=constraint.name,
                        region=region,
                        left=left_text.strip(),
                        right=right_text.strip(),
                        reason=reason,
                    )
                )
    return violations


def constraints_touching(sop_id: int):
    return SopConstraint.objects.filter(
        Q(left_sop_id=sop_id) | Q(right_sop_id=sop_id), active=True
    ).select_related("left_sop", "right_sop")


@dataclass
class ParameterSpread:
    name: str
    type: str
    values: dict[str, str]  # region → "value unit"
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def differs(self) -> bool:
        return len(set(self.values.values())) > 1

    @property
    def spread(self) -> str:
        """How much the regions differ: max - min (and the ratio max/min) for numbers of one unit."""
        if self.minimum is None or self.maximum is None:
            return "differs" if self.differs else ""
        spread = self.maximum - self.minimum
        ratio = f" (x{(self.maximum / self.minimum):.2f})" if self.minimum > 0 and spread else ""
        return f"{spread.normalize():f}{ratio}"


@dataclass
class ConsistencyReport:
    sop: Sop
    published: dict[str, str] = field(default_factory=dict)  # region → "v3"
    missing_regions: list[str] = field(default_factory=list)
    parameters: list[ParameterSpread] = field(default_factory=list)
    overridden_clauses: dict[str, list[str]] = field(default_factory=dict)  # region → clause ids
    violations: list[Violation] = field(default_factory=list)

    @property
    def differing_parameters(self) -> list[ParameterSpread]:
        return [p for p in self.parameters if p.differs]


def sop_consistency_report(sop: Sop) -> ConsistencyReport:
    report = ConsistencyReport(sop=sop)
    scope = sorted(sop.regions.values_list("code", flat=True))
    live = sop_live_publications(sop)
    report.missing_regions = [code for code in scope if code not in live]
    spreads: dict[str, ParameterSpread] = {}
    units: dict[str, set[str]] = {}
    for region, publication in sorted(live.items()):
        report.published[region] = f"v{publication.version.number}"
        resolved = sop_version_resolved(sop_version_with_content(publication.version_id), region)
        overridden = [c["id"] for c in resolved["clauses"] if c["overridden"]]
        if overridden:
            report.overridden_clauses[region] = overridden
        for name, parameter in resolved["parameters"].items():
            spread = spreads.setdefault(name, ParameterSpread(name=name, type=parameter["type"], values={}))
            spread.values[region] = f"{parameter['value']} {parameter['unit']}".strip()
            units.setdefault(name, set()).add(parameter["unit"])
            number = parameter_value_number(parameter["type"], parameter["value"], parameter["unit"])
            if number is not None:
                spread.minimum = number if spread.minimum is None else min(spread.minimum, number)
                spread.maximum = number if spread.maximum is None else max(spread.maximum, number)
    for name, spread in spreads.items():
        if spread.type == "decimal" and len(units[name]) > 1:
            # Amounts in different currencies have no meaningful numeric spread.
            spread.minimum = spread.maximum = None
    report.parameters = [spreads[name] for name in sorted(spreads)]
    report.violations = constraint_violations(constraints_touching(sop.pk), ResolvedParameters(), scope)
    return report
