"""Demo content: what `manage.py seed_demo` (and so `make run`) puts in a fresh installation.

Every step is idempotent: running it twice changes nothing and duplicates nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from aftersales.models import Region, StaffProfile

DEMO_REGIONS = [
    ("US", "United States", "USD", "America/New_York", "en-US"),
    ("GB", "United Kingdom", "GBP", "Europe/London", "en-GB"),
    ("ID", "Indonesia", "IDR", "Asia/Jakarta", "id-ID"),
    ("MY", "Malaysia", "MYR", "Asia/Kuala_Lumpur", "ms-MY"),
    ("TH", "Thailand", "THB", "Asia/Bangkok", "th-TH"),
    ("VN", "Vietnam", "VND", "Asia/Ho_Chi_Minh", "vi-VN"),
    ("PH", "Philippines", "PHP", "Asia/Manila", "en-PH"),
    ("SG", "Singapore", "SGD", "Asia/Singapore", "en-SG"),
]

DEMO_ADMIN = "admin"
# username → (role group, first name, regions it is limited to; None = all regions)
DEMO_STAFF = {
    "editor": ("ops_editor", "Eddie", None),
    "editor_sea": ("ops_editor", "Siti", ["ID", "MY", "TH", "VN", "PH", "SG"]),
    "reviewer": ("sop_reviewer", "Rita", None),
    "legal": ("sop_reviewer", "Lee", None),
    "reviewer_id": ("sop_reviewer", "Indra", ["ID"]),
    "release": ("release_manager", "Ravi", None),
    "auditor": ("qa_auditor", "Quinn", None),
    "viewer": ("viewer", "Vera", None),
}


@transaction.atomic
def regions_seed_demo() -> dict[str, Region]:
    regions = {}
    for code, name, currency, tz, language in DEMO_REGIONS:
        region, _ = Region.objects.update_or_create(
            code=code, defaults={"name": name, "currency": currency, "time_zone": tz, "language": language}
        )
        regions[code] = region
    return regions


@transaction.atomic
def staff_seed_demo() -> dict[str, object]:
    """The demo admin and one staff user per role; passwords are set by `demo_credentials`."""
    User = get_user_model()
    users = {}
    admin, created = User.objects.get_or_create(
        username=DEMO_ADMIN, defaults={"is_staff": True, "is_superuser": True, "email": "admin@demo.redress"}
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    users[DEMO_ADMIN] = admin
    for username, (role, first_name, region_codes) in DEMO_STAFF.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "first_name": first_name, "email": f"{username}@demo.redress"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=role)])
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        profile.all_regions = region_codes is None
        profile.save(update_fields=["all_regions"])
        profile.regions.set(Region.objects.filter(code__in=region_codes or []))
        users[username] = user
    return users
