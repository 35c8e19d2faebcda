"""Background work of the registry: imports uploaded on the page, run by the worker
(``fengqiao db_worker``) while the page shows their progress."""

from django_tasks import task

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
            return {"status": "failed", "message": str(exc)}
    return {"status": batch.status, **batch.counts()}
