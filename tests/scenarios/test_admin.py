import pytest
from django.contrib.auth import get_user_model

from scenarios.models import IdentifierModel, TrainingExample


@pytest.fixture
def staff(client, db, plain_static_storage):
    user = get_user_model().objects.create_superuser(username="admin", password=None)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    ["scenario", "trainingexample", "identifiermodel", "modelconfiguration", "llmcall", "evidencejudgment"],
)
def test_admin_changelist__each_model__200(staff, scenario_catalogue, model):
    response = staff.get(f"/admin/scenarios/{model}/")

    assert response.status_code == 200


def test_admin_identifier__trained__metrics_and_confusion_picture(staff, trained_identifier):
    response = staff.get(f"/admin/scenarios/identifiermodel/{trained_identifier.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "cv_balanced_accuracy" in html
    assert 'title="damaged-item → damaged-item:' in html


def test_admin_train_now__idle__queued_after_commit(
    staff, small_training_set, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff.get("/admin/scenarios/identifiermodel/train-now/")

    assert response.status_code == 302
    assert list(IdentifierModel.objects.values_list("version", "status")) == [(1, "queued")]
    assert len(callbacks) == 1


def test_admin_import__upload_map_import__rows_of_mapped_labels_only(staff, scenario_catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_file = SimpleUploadedFile(
        "x.csv", b"text,label\ncancel it please,cx\nsubscribe me,news\n", "text/csv"
    )
    upload = staff.post(
        "/admin/scenarios/trainingexample/import/",
        {"file": csv_file, "text_column": "text", "label_column": "label", "language": "en"},
    )
    preview = staff.get("/admin/scenarios/trainingexample/import/")

    done = staff.post("/admin/scenarios/trainingexample/import/", {"map_0": "cancel-order", "map_1": ""})

    assert (upload.status_code, preview.status_code, done.status_code) == (302, 200, 302)
    assert "cancel it please" in preview.content.decode()
    assert list(TrainingExample.objects.values_list("text", "scenario__key", "source")) == [
        ("cancel it please", "cancel-order", "csv")
    ]
