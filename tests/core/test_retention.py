"""What imports and exports leave behind goes (剩余信息保护): an export's file when its download
ends, an uploaded file when its import is done, error files and exports after
FENGQIAO_EXPORT_HOURS (the worker's hourly jobs)."""

import datetime as dt
import os
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse

import fengqiao.urls
from fengqiao.core import periodic, tempfiles
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as
from fengqiao.core.importing import imports_dir
from fengqiao.registry.models import ImportBatch
from fengqiao.registry.tasks import run_import_batch
from tests.fixtures.registry import make_address, valid_id_number

urlpatterns = [path("imports/", include("fengqiao.web.imports.urls")), *fengqiao.urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)

HOURS = 24


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.EXPORT_HOURS = HOURS


def aged(file, hours: float):
    file.parent.mkdir(parents=True, exist_ok=True)
    if not file.exists():
        file.write_bytes(b"id_number,name\n640302199001011238,x\n")
    then = time.time() - hours * 3600
    os.utime(file, (then, then))
    return file


def run(name: str):
    job = {j.name: j for j in periodic.jobs()}[name]
    with acting_as(system_user(), Source.WORKER):
        return job.run()


def test_old_exports_and_error_files_are_deleted_by_the_job_and_fresh_ones_kept(db):
    # given exports and error files, some past the download time, some not
    old_export = aged(tempfiles.exports_dir() / "tmpab12.xlsx", HOURS + 1)
    fresh_export = aged(tempfiles.exports_dir() / "tmpcd34.csv", HOURS - 1)
    old_errors = aged(imports_dir() / "batch-7-errors.csv", HOURS + 2)
    fresh_errors = aged(imports_dir() / "110-0123456789ab-errors.xlsx", 1)
    spool = aged(imports_dir() / "batch-9.rejected.jsonl", HOURS * 10)  # a resumable import's
    # when the worker's hourly job runs
    removed = run("expired files")
    # then the old ones are gone and the fresh ones kept
    assert sorted(removed) == sorted([old_export.name, old_errors.name])
    assert not old_export.exists() and not old_errors.exists()
    assert fresh_export.exists() and fresh_errors.exists() and spool.exists()


@pytest.mark.django_db
def test_a_finished_imports_upload_is_gone_and_its_errors_expire(
    client, personas, django_capture_on_commit_callbacks
):
    # given an officer's upload with one bad row, imported by the worker
    home = make_address(personas.territory.grid_a, street="利宁街", door_plate="8")
    good = f"{valid_id_number(sex='M')},张三,男,{home.full_text}"
    body = f"公民身份号码,姓名,性别,现住址\n{good}\n12345,李四,女,x\n"
    client.force_login(personas.officer)
    upload = SimpleUploadedFile("people.csv", body.encode("gbk"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_index"), {"kind": "people", "file": upload})
    batch = ImportBatch.objects.get()
    saved = batch.options["path"]
    assert os.path.isfile(saved) and tempfiles.is_under(saved, tempfiles.uploads_dir())
    run_import_batch.call(batch.pk)
    # then the import is done, and the uploaded file is gone
    batch.refresh_from_db()
    assert batch.status == "done" and batch.rejected == 1
    assert not os.path.exists(saved)
    assert list(tempfiles.uploads_dir().iterdir()) == []
    # the rejected rows download while they are fresh
    errors_url = reverse("import_batch_errors", args=[batch.pk])
    assert client.get(errors_url).status_code == 200
    # and not after the download time, even before the job has deleted the file
    ImportBatch.objects.filter(pk=batch.pk).update(
        finished_at=batch.finished_at - dt.timedelta(hours=HOURS + 1)
    )
    assert client.get(errors_url).status_code == 404
    aged(settings.DATA_DIR / "imports" / os.path.basename(batch.errors_file), HOURS + 1)
    assert os.path.basename(batch.errors_file) in run("expired files")


@pytest.mark.django_db
def test_stale_uploads_go_unless_a_queued_import_reads_them(personas):
    waiting = aged(tempfiles.uploads_dir() / "waiting.csv", HOURS + 5)
    left = aged(tempfiles.uploads_dir() / "left.csv", HOURS + 5)
    fresh = aged(tempfiles.uploads_dir() / "fresh.csv", 1)
    ImportBatch.objects.create(
        kind="person",
        file_name="w.csv",
        file_sha256="0" * 64,
        file_format="csv",
        status="queued",
        actor=personas.officer,
        options={"path": str(waiting), "kind": "people"},
    )
    assert run("stale import uploads") == ["left.csv"]
    assert waiting.exists() and fresh.exists() and not left.exists()


@pytest.mark.django_db
def test_an_export_leaves_no_file_behind(client, personas):
    client.force_login(personas.officer)
    response = client.get(reverse("registry_export"), {"kind": "people", "format": "csv"})
    assert response.status_code == 200
    assert list(tempfiles.exports_dir().iterdir())  # being downloaded
    b"".join(response.streaming_content)
    response.close()
    assert list(tempfiles.exports_dir().iterdir()) == []
