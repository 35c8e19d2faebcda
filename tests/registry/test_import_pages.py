"""The import page as a user drives it: upload, the worker runs the import, the page polls the
batch until it is done, the rejected rows download; templates; who may."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import include, path, reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

import fengqiao.urls
from fengqiao.core.models import AuditEntry
from fengqiao.geo import locator
from fengqiao.registry.models import ImportBatch, Person
from tests.fixtures.registry import make_address, valid_id_number
from tests.registry import files

# The pages' own URLs with the import pages under /imports/ (as fengqiao.web.urls includes them).
urlpatterns = [path("imports/", include("fengqiao.web.imports.urls")), *fengqiao.urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)

# fixtures for tests whose data a worker or a subprocess reads
committed = files.committed
_audit_triggers_back_after_the_module = files._audit_triggers_back_after_the_module

HEADER = "公民身份号码,姓名,性别,现住址\n"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def english():
    locator.reset()
    with translation.override("en"):
        yield
    locator.reset()


def login(client, user):
    """Log in and read the pages in English (their source language; Chinese is the default)."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


@pytest.mark.usefixtures("committed")
def test_upload_runs_in_the_worker_and_the_page_shows_progress_then_the_summary(client, personas):
    # given an officer and a station's file with one bad row
    home = make_address(personas.territory.grid_a, street="利宁街", door_plate="8")
    unnamed = valid_id_number(sex="F")  # a whole number on a row rejected for its missing name
    body = HEADER + f"{valid_id_number(sex='M')},张三,男,{home.full_text}\n12345,李四,女,{home.full_text}\n"
    body += f"{unnamed},,女,{home.full_text}\n"
    login(client, personas.officer)

    # when they upload it
    page = client.get(reverse("import_index"))
    assert page.status_code == 200
    upload = SimpleUploadedFile("户籍人口.csv", body.encode("gbk"), content_type="text/csv")
    response = client.post(reverse("import_index"), {"kind": "people", "file": upload})

    # then the batch is queued and its page polls for progress
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_batch", args=[batch.pk])
    assert batch.status == "queued"
    waiting = client.get(reverse("import_batch", args=[batch.pk]))
    assert b'hx-trigger="every 1s"' in waiting.content
    assert "Waiting for the worker" in waiting.content.decode()

    # when the worker runs
    run_worker()

    # then the progress fragment shows the summary, stops polling and offers the rejected rows
    fragment = client.get(reverse("import_batch_progress", args=[batch.pk])).content.decode()
    batch.refresh_from_db()
    assert batch.status == "done" and batch.encoding == "gb18030"
    assert batch.counts() == {"read": 3, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert "hx-trigger" not in fragment
    assert 'data-count="inserted">1<' in fragment and 'data-count="rejected">2<' in fragment
    assert Person.objects.unscoped(reason="test").get().name == "张三"
    download = client.get(reverse("import_batch_errors", args=[batch.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("gbk")
    assert "12345,李四" in content and "错误原因" in content and unnamed in content
    # while on disk the rejected rows are sealed under the data key, the upload is gone, and no
    # file the import wrote or left holds the number or the names
    on_disk = Path(batch.errors_file).read_bytes()
    assert on_disk.startswith(b"fengqiao-sealed")
    left = [p for p in (Path(settings.DATA_DIR) / "imports").rglob("*") if p.is_file()]
    assert left == [Path(batch.errors_file)]
    for secret in (unnamed, "李四", "12345"):
        assert secret.encode("gbk") not in on_disk and secret.encode() not in on_disk
    listing = client.get(reverse("import_index")).content.decode()
    assert "户籍人口.csv" in listing


@pytest.mark.usefixtures("committed")
def test_an_unreadable_upload_is_refused_on_the_form(client, personas):
    login(client, personas.officer)
    upload = SimpleUploadedFile("people.csv", "姓名,性别\n张三,男\n".encode(), content_type="text/csv")
    response = client.post(reverse("import_index"), {"kind": "people", "file": upload})
    assert response.status_code == 200
    assert "lacks the column(s) 公民身份号码" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.usefixtures("committed")
def test_uploading_the_same_file_again_while_unfinished_resumes_that_batch(client, personas):
    home = make_address(personas.territory.grid_a)
    body = (HEADER + f"{valid_id_number()},张三,,{home.full_text}\n").encode()
    login(client, personas.officer)
    for _ in range(2):
        client.post(
            reverse("import_index"),
            {"kind": "people", "file": SimpleUploadedFile("p.csv", body, content_type="text/csv")},
        )
    assert ImportBatch.objects.count() == 1
    # one task for it, and the second copy of the file is not kept
    assert DBTaskResult.objects.count() == 1
    assert [p.name for p in (settings.DATA_DIR / "imports" / "uploads").iterdir()] == [
        Path(ImportBatch.objects.get().options["path"]).name
    ]
    run_worker()
    assert ImportBatch.objects.get().status == "done"
    assert Person.objects.unscoped(reason="test").count() == 1


@pytest.mark.usefixtures("committed")
def test_a_batch_whose_process_died_resumes_when_the_file_is_uploaded_again(client, personas):
    # given a batch left running by a worker that died after the first row
    home = make_address(personas.territory.grid_a)
    rows = [f"{valid_id_number()},张{i},,{home.full_text}\n" for i in range(3)]
    body = (HEADER + "".join(rows)).encode()
    login(client, personas.officer)
    client.post(reverse("import_index"), {"kind": "people", "file": SimpleUploadedFile("p.csv", body)})
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="running", options={**batch.options, "heartbeat": None}
    )

    # when the same file is uploaded again and the worker runs
    client.post(reverse("import_index"), {"kind": "people", "file": SimpleUploadedFile("p.csv", body)})
    run_worker()

    # then the same batch is done with every row
    batch.refresh_from_db()
    assert ImportBatch.objects.count() == 1
    assert (batch.status, batch.inserted) == ("done", 3)
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_templates_download_with_the_chinese_headers(client, personas):
    login(client, personas.grid_a)
    csv_response = client.get(reverse("import_template", args=["people", "csv"]))
    assert csv_response.status_code == 200
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    assert (
        csv_response.content.decode("utf-8-sig").splitlines()[0].startswith("公民身份号码,姓名,曾用名,性别")
    )
    xlsx = client.get(reverse("import_template", args=["houses", "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("import_template", args=["nothing", "csv"])).status_code == 404


@pytest.mark.usefixtures("committed")
def test_someone_elses_batch_is_a_404_and_residents_may_not_import(client, personas):
    home = make_address(personas.territory.grid_a)
    login(client, personas.officer)
    body = (HEADER + f"{valid_id_number()},张三,,{home.full_text}\n").encode()
    client.post(reverse("import_index"), {"kind": "people", "file": SimpleUploadedFile("p.csv", body)})
    batch = ImportBatch.objects.get()
    client.logout()
    login(client, personas.grid_b)
    for name in ("import_batch", "import_batch_progress", "import_batch_errors"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    client.logout()
    login(client, personas.resident)
    assert client.get(reverse("import_index")).status_code == 403
