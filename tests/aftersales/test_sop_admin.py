from html.parser import HTMLParser

import pytest
from django.test import Client

from aftersales.models import SopClause, SopSignOff, SopVersion
from aftersales.services.sops import sop_version_submit

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import approve, clause_change, make_staff, publish_new_version  # noqa: E402

pytest_plugins = ["tests.aftersales.sop_fixtures"]
pytestmark = pytest.mark.usefixtures("plain_static_storage")


class _FormFields(HTMLParser):
    """The fields a browser would post from the admin change form (id ``sopversion_form``)."""

    def __init__(self):
        super().__init__()
        self.data, self._in_form, self._textarea, self._select = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "sopversion_form":
            self._in_form = True
        if not self._in_form or ("name" not in attrs and tag != "option"):
            return
        if (tag == "input" and attrs.get("type") not in ("submit", "checkbox")) or (
            tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs
        ):
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(version, suffix=""):
    return f"/admin/aftersales/sopversion/{version.pk}/{suffix}"


@pytest.fixture
def draft(return_sop):
    return return_sop.versions.get()


@pytest.fixture
def in_review(draft, editor):
    sop_version_submit(actor=editor, version=draft)
    return draft


def test_sopversion_admin__editor_edits_clause_inline_on_draft__saved_and_hash_refreshed(draft, editor):
    client = _client(editor)
    parser = _FormFields()
    parser.feed(client.get(_url(draft, "change/")).content.decode())
    data = parser.data
    clause_index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-clause_id") and v == "RET-2")
    data[f"clauses-{clause_index}-text"] = "To the original payment method within 5 days."
    before = draft.content_hash

    response = client.post(_url(draft, "change/"), data)

    assert response.status_code == 302
    assert (
        SopClause.objects.get(version=draft, clause_id="RET-2").text
        == "To the original payment method within 5 days."
    )
    draft.refresh_from_db()
    assert draft.content_hash != before


def test_sopversion_admin__viewer__reads_but_cannot_change_or_act(in_review, viewer):
    client = _client(viewer)

    page = client.get(_url(in_review, "change/"))
    posted = client.post(
        _url(in_review, "review/"), {"decision": "approved", "seen_hash": in_review.content_hash}
    )

    assert page.status_code == 200
    assert b"RET-1" in page.content
    assert b'name="clauses-0-text"' not in page.content
    assert posted.status_code == 403
    assert SopSignOff.objects.count() == 0


def test_sopversion_admin__reviewer_on_draft__cannot_edit_content(draft, reviewer_a):
    client = _client(reviewer_a)

    page = client.get(_url(draft, "change/"))
    submitted = client.post(_url(draft, "submit/"), {"comment": ""})

    assert page.status_code == 200
    assert b'name="clauses-0-text"' not in page.content
    assert submitted.status_code == 403
    assert SopVersion.objects.get(pk=draft.pk).status == "draft"


def test_sopversion_admin__reviewer_approves_via_review_page__sign_off_bound_to_hash(in_review, reviewer_a):
    client = _client(reviewer_a)
    assert client.get(_url(in_review, "review/")).status_code == 200

    response = client.post(
        _url(in_review, "review/"),
        {"decision": "approved", "comment": "ok", "seen_hash": in_review.content_hash},
    )

    assert response.status_code == 302
    sign_off = SopSignOff.objects.get()
    assert (sign_off.reviewer, sign_off.decision, sign_off.content_hash) == (
        reviewer_a,
        "approved",
        in_review.content_hash,
    )


def test_sopversion_admin__editor_tries_to_approve__403_no_sign_off(in_review, editor):
    response = _client(editor).post(
        _url(in_review, "review/"), {"decision": "approved", "seen_hash": in_review.content_hash}
    )

    assert response.status_code == 403
    assert SopSignOff.objects.count() == 0
    assert SopVersion.objects.get(pk=in_review.pk).status == "in_review"


def test_sopversion_admin__release_manager_publishes_approved__published(
    draft, editor, reviewer_a, reviewer_b, publisher
):
    approve(draft, editor, [reviewer_a, reviewer_b])

    response = _client(publisher).post(_url(draft, "publish/"), {"comment": "go"})

    assert response.status_code == 302
    assert SopVersion.objects.get(pk=draft.pk).status == "published"


def test_sopversion_admin__reviewer_tries_to_publish__403(draft, editor, reviewer_a, reviewer_b):
    approve(draft, editor, [reviewer_a, reviewer_b])

    response = _client(reviewer_a).post(_url(draft, "publish/"), {})

    assert response.status_code == 403
    assert SopVersion.objects.get(pk=draft.pk).status == "approved"


def test_sopversion_admin__awaiting_my_review_filter__lists_only_reviewable(in_review, reviewer_a, editor):
    reviewer_page = _client(reviewer_a).get("/admin/aftersales/sopversion/?queue=mine")
    editor_page = _client(editor).get("/admin/aftersales/sopversion/?queue=mine")

    assert list(reviewer_page.context["cl"].result_list) == [in_review]
    assert list(editor_page.context["cl"].result_list) == []


def test_sopversion_admin__diff_page__shows_changed_clause_highlighted(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):

    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    second = publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=clause_change(editor, "RET-2", "To the original method or a gift card.", title="Refund"),
    )

    page = _client(reviewer_a).get(_url(second, "diff/"))

    assert page.status_code == 200
    diff = page.context["diff"]
    assert [(r.key, r.status) for r in diff.changes] == [("RET-2", "changed")]
    html = page.content.decode()
    assert "Refund\nTo the original <del>method.</del>" in html
    assert "Refund\nTo the original <ins>method or a gift card.</ins>" in html


def test_sopversion_admin__diff_regions__shows_regional_parameter(draft, viewer):
    page = _client(viewer).get(_url(draft, "diff/") + "?mode=regions&left=US&right=ID")

    assert [(r.key, r.left, r.right) for r in page.context["diff"].changes] == [
        ("auto_refund_cap", "50.00 USD", "750000 IDR")
    ]


def test_sopversion_admin__markdown_export__downloads_resolved_region(draft, viewer):
    response = _client(viewer).get(_url(draft, "markdown/") + "?region=ID&download=1")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="return-delivered-item-v1-ID.md"'
    text = response.content.decode()
    assert "| `auto_refund_cap` * | 750000 | IDR | decimal |" in text
    assert "### RET-1 — Eligibility" in text


def test_sop_admin__consistency_report__lists_unpublished_regions(return_sop, viewer):
    page = _client(viewer).get(f"/admin/aftersales/sop/{return_sop.pk}/consistency/")

    assert page.status_code == 200
    assert page.context["report"].missing_regions == ["GB", "ID", "US"]


def test_sop_admin__editor_adds_sop__policy_and_first_draft_created(editor, regions):
    response = _client(editor).post(
        "/admin/aftersales/sop/add/",
        {
            "key": "damaged-item",
            "title": "Damaged item",
            "owning_team": "CS",
            "clause_prefix": "DMG",
            "description": "",
            "regions": ["US", "GB"],
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    version = SopVersion.objects.get(sop__key="damaged-item")
    assert (version.number, version.status, version.author) == (1, "draft", editor)
    assert sorted(version.sop.regions.values_list("code", flat=True)) == ["GB", "US"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("viewer", {"view"}),
        ("ops_editor", {"view", "edit", "submit"}),
        ("sop_reviewer", {"view", "review"}),
        ("release_manager", {"view", "publish"}),
        ("qa_auditor", {"view"}),
    ],
)
def test_sop_roles__each_role__exactly_its_sop_permissions(regions, role, expected):
    user = make_staff(f"user-{role}", role)
    permissions = {
        "view": "aftersales.view_sopversion",
        "edit": "aftersales.change_sopclause",
        "submit": "aftersales.submit_sopversion",
        "review": "aftersales.review_sopversion",
        "publish": "aftersales.publish_sopversion",
    }

    granted = {name for name, perm in permissions.items() if user.has_perm(perm)}

    assert granted == expected
