"""SOPs: a base of numbered clauses and typed parameters per version, regional overrides, review
sign-offs bound to a content hash, and publications (at most one live per SOP and region).

Content rows (clauses, parameters, overrides) belong to one version and are only written while
that version is a draft; a version that left draft is immutable and an edit is a new draft copied
from it (see aftersales.services.sops).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from aftersales.sops.params import NUMERIC_TYPES, ParameterType, parameter_value_clean

clause_id_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]*-[0-9]+[A-Za-z]?$", "A clause id looks like RET-3: a prefix, a dash and a number."
)
parameter_name_validator = RegexValidator(r"^[a-z][a-z0-9_]*$", "Use snake_case, e.g. return_window_days.")


class Sop(models.Model):
    """One procedure (e.g. the return of a delivered item) across all its versions."""

    key = models.SlugField(max_length=80, unique=True, help_text="Stable, e.g. return-delivered-item.")
    title = models.CharField(max_length=200)
    owning_team = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    clause_prefix = models.CharField(
        max_length=10,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*$", "Upper case, e.g. RET.")],
        help_text="Clause ids of this SOP start with it (RET → RET-1, RET-2, …).",
    )
    regions = models.ManyToManyField(
        "aftersales.Region", related_name="sops", help_text="The regions this SOP applies in."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "SOP"
        verbose_name_plural = "SOPs"

    def __str__(self) -> str:
        return f"{self.key} — {self.title}"


class SopVersionStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    APPROVED = "approved", "approved"
    PUBLISHED = "published", "published"
    RETIRED = "retired", "retired"


class SopVersion(models.Model):
    Status = SopVersionStatus

    sop = models.ForeignKey(Sop, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived_versions"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    change_summary = models.TextField(blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="sha256 over the resolved content of every region."
    )
    review_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sop__key", "-number"]
        verbose_name = "SOP version"
        constraints = [
            models.UniqueConstraint(fields=["sop", "number"], name="sopversion_unique_number"),
            # One draft at a time per SOP: two parallel drafts would each miss the other's edits.
            models.UniqueConstraint(
                fields=["sop"], condition=Q(status="draft"), name="sopversion_one_draft_per_sop"
            ),
        ]
        permissions = [
            ("submit_sopversion", "Can submit an SOP version for review"),
            ("review_sopversion", "Can approve or request changes on an SOP version"),
            ("publish_sopversion", "Can publish an approved SOP version"),
        ]

    def __str__(self) -> str:
        return f"{self.sop.key} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == SopVersionStatus.DRAFT


class SopClause(models.Model):
    version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(
        max_length=20, validators=[clause_id_validator], help_text="Stable: an id never changes meaning."
    )
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        ordering = ["position", "clause_id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "clause_id"], name="sopclause_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.clause_id} {self.title}"


class SopParameter(models.Model):
    Type = ParameterType

    version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=64, validators=[parameter_name_validator])
    type = models.CharField(max_length=16, choices=ParameterType.choices)
    value = models.JSONField(help_text='JSON: 30, "50.00", true, "refund", ["photo", "video"].')
    unit = models.CharField(
        max_length=20, blank=True, help_text="days, hours, a currency code for money, photos, …"
    )
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    choices = models.JSONField(default=list, blank=True, help_text="For choice and list parameters.")
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="sopparameter_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value} {self.unit}".strip()

    def clean(self):
        if self.type not in NUMERIC_TYPES and (self.min_value is not None or self.max_value is not None):
            raise ValidationError("Only numeric parameters have a range.")
        if self.type in (ParameterType.CHOICE, ParameterType.LIST) and not self.choices:
            raise ValidationError({"choices": "Choice and list parameters need their choices."})
        self.value = self.clean_value(self.value, self.unit, field="value")

    def clean_value(self, value, unit, *, field):
        try:
            return parameter_value_clean(
                self.type,
                value,
                unit=unit,
                min_value=self.min_value,
                max_value=self.max_value,
                choices=self.choices or (),
            )
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None


class SopRegionalOverride(models.Model):
    """The regional variant of one version for one region: single clauses and parameter values."""

    version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="regional_overrides")
    region = models.ForeignKey("aftersales.Region", on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True, help_text="Why this region differs.")

    class Meta:
        ordering = ["region__code"]
        verbose_name = "SOP regional variant"
        constraints = [
            models.UniqueConstraint(fields=["version", "region"], name="sopregionaloverride_unique_region"),
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.region_id}"


class SopClauseOverride(models.Model):
    override = models.ForeignKey(SopRegionalOverride, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(max_length=20, validators=[clause_id_validator])
    title = models.CharField(max_length=200, blank=True, help_text="Empty: the base title.")
    text = models.TextField()

    class Meta:
        ordering = ["clause_id"]
        constraints = [
            models.UniqueConstraint(fields=["override", "clause_id"], name="sopclauseoverride_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.clause_id} ({self.override.region_id})"

    def clean(self):
        if self.override_id and not self.override.version.clauses.filter(clause_id=self.clause_id).exists():
            raise ValidationError({"clause_id": f"The base has no clause {self.clause_id}."})


class SopParameterOverride(models.Model):
    override = models.ForeignKey(SopRegionalOverride, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=64, validators=[parameter_name_validator])
    value = models.JSONField()
    unit = models.CharField(max_length=20, blank=True, help_text="Empty: the base unit (set it for money).")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["override", "name"], name="sopparameteroverride_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value} ({self.override.region_id})"

    def clean(self):
        if not self.override_id:
            return
        base = self.override.version.parameters.filter(name=self.name).first()
        if base is None:
            raise ValidationError({"name": f"The base has no parameter {self.name}."})
        self.value = base.clean_value(self.value, self.unit or base.unit, field="value")


class SopReviewPolicy(models.Model):
    sop = models.OneToOneField(Sop, on_delete=models.CASCADE, related_name="review_policy")
    due_days = models.PositiveIntegerField(default=5, help_text="Review is due this many days after submit.")

    class Meta:
        verbose_name = "SOP review policy"
        verbose_name_plural = "SOP review policies"

    def __str__(self) -> str:
        return f"review policy of {self.sop.key}"


class SopReviewRequirement(models.Model):
    """N approvals from members of one reviewer group (M = the group's members), e.g. 2 of CS ops.

    With ``per_changed_region`` the N approvals are needed for each region whose variant the
    version changes, from members whose staff scope includes that region (the regional owners).
    """

    policy = models.ForeignKey(SopReviewPolicy, on_delete=models.CASCADE, related_name="requirements")
    label = models.CharField(max_length=100, help_text="e.g. CS operations, Legal, Regional owner.")
    group = models.ForeignKey("auth.Group", on_delete=models.PROTECT, related_name="+")
    min_approvals = models.PositiveIntegerField(default=1)
    per_changed_region = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        scope = " per changed region" if self.per_changed_region else ""
        return f"{self.label}: {self.min_approvals} of {self.group.name}{scope}"

    def clean(self):
        if self.min_approvals < 1:
            raise ValidationError({"min_approvals": "At least one approval."})


class SopSignOffDecision(models.TextChoices):
    APPROVED = "approved", "approved"
    CHANGES_REQUESTED = "changes_requested", "changes requested"


class SopSignOff(models.Model):
    """A reviewer's decision on the exact content (hash) they saw. Void once that content changes."""

    Decision = SopSignOffDecision

    version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="sign_offs")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=SopSignOffDecision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "SOP sign-off"
        constraints = [
            # One live decision per reviewer and version: a second one replaces (voids) the first.
            models.UniqueConstraint(
                fields=["version", "reviewer"],
                condition=Q(voided_at__isnull=True),
                name="sopsignoff_one_live_per_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision} {self.version}"


class SopVersionEvent(models.Model):
    """The business audit trail: every status change of a version (who, when, from, to, why)."""

    version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "SOP version event"

    def __str__(self) -> str:
        return f"{self.version}: {self.from_status or '∅'} → {self.to_status}"


class SopPublicationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "scheduled"
    PUBLISHED = "published", "published"
    RETIRED = "retired", "retired"


class SopPublication(models.Model):
    """A version in force (or scheduled to be) in one region from ``effective_at``."""

    Status = SopPublicationStatus

    sop = models.ForeignKey(Sop, on_delete=models.CASCADE, related_name="publications")
    version = models.ForeignKey(SopVersion, on_delete=models.PROTECT, related_name="publications")
    region = models.ForeignKey("aftersales.Region", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=SopPublicationStatus.choices)
    effective_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sop__key", "region__code", "-effective_at"]
        verbose_name = "SOP publication"
        constraints = [
            # The guarantee the issue asks for, held by the database whatever the code does.
            models.UniqueConstraint(
                fields=["sop", "region"],
                condition=Q(status="published"),
                name="soppublication_one_published_per_region",
            ),
            models.UniqueConstraint(
                fields=["sop", "region"],
                condition=Q(status="scheduled"),
                name="soppublication_one_scheduled_per_region",
            ),
        ]
        indexes = [models.Index(fields=["region", "status"], name="soppublication_region_status")]

    def __str__(self) -> str:
        return f"{self.version} in {self.region_id} ({self.status})"


class SopConstraintOperator(models.TextChoices):
    LTE = "lte", "≤"
    LT = "lt", "<"
    EQ = "eq", "="
    GTE = "gte", "≥"
    GT = "gt", ">"


class SopConstraint(models.Model):
    """A rule between two parameters, possibly of two SOPs, that must hold in every region,
    e.g. exchange.exchange_window_days ≤ return.return_window_days. Publishing is refused while
    the version being published would violate it."""

    Operator = SopConstraintOperator

    name = models.CharField(max_length=120, unique=True)
    left_sop = models.ForeignKey(Sop, on_delete=models.CASCADE, related_name="+")
    left_parameter = models.CharField(max_length=64, validators=[parameter_name_validator])
    operator = models.CharField(max_length=4, choices=SopConstraintOperator.choices)
    right_sop = models.ForeignKey(Sop, on_delete=models.CASCADE, related_name="+")
    right_parameter = models.CharField(max_length=64, validators=[parameter_name_validator])
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SOP constraint"

    def __str__(self) -> str:
        return (
            f"{self.left_sop.key}.{self.left_parameter} {self.get_operator_display()} "
            f"{self.right_sop.key}.{self.right_parameter}"
        )
