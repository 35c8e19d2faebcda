"""Background work of the registry: imports uploaded on the page, run by the worker
(``fengqiao db_worker``) while the page shows their progress."""

from pathlib import Path

from django_tasks import task

from fengqiao.core import tempfiles
from fengqiao.core.context import Source, acting_as
from fengqiao.core.importing import ImportFileError
from fengqiao.registry.choices import ImportStatus
from fengqiao.registry.models import ImportBatch


@task()
def run_import_batch(batch_id: int) -> dict:
    """Run (or resume) a queued import batch as the user who uploaded it. A file that cannot be
    read marks the batch failed with the reason; the page shows it."""
    from fengqiao.registry.importing.runner import run_import

    batch = ImportBatch.objects.select_related("actor").get(pk=batch_id)
    if batch.status == ImportStatus.DONE:
        return {"status": batch.status, **batch.counts()}  # queued twice: the first run did it
    with acting_as(batch.actor, Source.WORKER):
        try:
            batch = run_import(
                batch.options["kind"],
                batch.options["path"],
                actor=batch.actor,
                batch=batch,
                file_name=batch.file_name,
            )
        except ImportFileError as exc:
            _remove_upload(batch)  # it cannot be read: no run will use it
            return {"status": "failed", "message": str(exc)}
    _remove_upload(batch)
    return {"status": batch.status, **batch.counts()}


def _remove_upload(batch: ImportBatch) -> None:
    """The uploaded file of a batch, once no run needs it; only ever a file the page saved."""
    path = batch.options.get("path")
    if path and tempfiles.is_under(path, tempfiles.uploads_dir()):
        tempfiles.remove(path)


def remove_stale_uploads() -> list[str]:
    """The worker's job: uploaded files past ``FENGQIAO_EXPORT_HOURS`` that no queued or running
    import reads (a failed import is uploaded again to resume). Returns their names."""
    kept = {
        str(Path(p).resolve())
        for p in ImportBatch.objects.filter(
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
        ).values_list("options__path", flat=True)
        if p
    }
    stale = [path for path in tempfiles.old_uploads() if str(path.resolve()) not in kept]
    return [path.name for path in stale if tempfiles.remove(path)]
