"""The import pages: upload a station's spreadsheet, watch it being imported, download the rows
it rejected; the templates per kind; exports of what the user may see.

Thin: the upload is saved and handed to ``runner.queue_upload``, the worker runs
``tasks.run_import_batch``; this page only polls the batch (htmx) until it is done.
"""

import io
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.core import tempfiles
from fengqiao.core.importing import ImportFileError
from fengqiao.core.importing.errors import read_error_file
from fengqiao.registry import exporting
from fengqiao.registry.choices import ImportStatus
from fengqiao.registry.importing import columns
from fengqiao.registry.importing.runner import queue_upload
from fengqiao.registry.models import ImportBatch
from fengqiao.registry.selectors import may_collect
from fengqiao.registry.tasks import run_import_batch

BATCHES_SHOWN = 20
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")


def _kind_choices():
    return [(k.name, k.label) for k in columns.KINDS.values()]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=_kind_choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or GBK) or XLSX, with the template's column headers."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Records"), choices=_kind_choices)
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")])
    grid = forms.CharField(
        label=gettext_lazy("Grid code"),
        required=False,
        help_text=gettext_lazy("Empty: everything you may see."),
    )


def _require_collector(user) -> None:
    if not may_collect(user):
        raise PermissionDenied(_("Only staff who collect registry records may import or export them."))


def _batch_for(user, pk) -> ImportBatch:
    """A batch of the user's own (any batch for a superuser); anything else is a 404."""
    qs = ImportBatch.objects.select_related("actor")
    if not user.is_superuser:
        qs = qs.filter(actor=user)
    try:
        return qs.get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404(_("No such import.")) from None


def _save_upload(upload) -> Path:
    """The upload, kept until its import is done (registry.tasks removes it)."""
    folder = tempfiles.uploads_dir()
    suffix = Path(upload.name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as fh:
        for piece in upload.chunks():
            fh.write(piece)
    return path


@require_http_methods(["GET", "POST"])
@login_required
def import_index(request):
    _require_collector(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = _save_upload(upload)
        try:
            with transaction.atomic():
                batch = queue_upload(
                    form.cleaned_data["kind"], path, actor=request.user, file_name=upload.name
                )
                if batch.options.get("path") == str(path):
                    transaction.on_commit(lambda: run_import_batch.enqueue(batch.pk))
            if batch.options.get("path") != str(path):  # the same file is on its way already
                path.unlink(missing_ok=True)
        except ImportFileError as exc:
            path.unlink(missing_ok=True)
            form.add_error("file", str(exc))
        else:
            return redirect("import_batch", pk=batch.pk)
    batches = ImportBatch.objects.select_related("actor").order_by("-id")
    if not request.user.is_superuser:
        batches = batches.filter(actor=request.user)
    return render(
        request,
        "web/imports/index.html",
        {
            "form": form,
            "kinds": list(columns.KINDS.values()),
            "batches": batches[:BATCHES_SHOWN],
            "export_form": ExportForm(),
        },
    )


def _progress_context(batch: ImportBatch) -> dict:
    total = max(int(batch.options.get("total") or 0), batch.rows_read)
    return {
        "batch": batch,
        "total": total,
        "percent": int(100 * batch.rows_read / total)
        if total
        else (100 if batch.status == ImportStatus.DONE else 0),
        "running": batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
    }


@require_GET
@login_required
def import_batch(request, pk):
    batch = _batch_for(request.user, pk)
    return render(request, "web/imports/batch.html", _progress_context(batch))


@require_GET
@login_required
def import_batch_progress(request, pk):
    """The progress fragment the batch page polls; it stops polling once the batch is done."""
    batch = _batch_for(request.user, pk)
    return render(request, "web/imports/_progress.html", _progress_context(batch))


@require_GET
@login_required
def import_batch_errors(request, pk):
    batch = _batch_for(request.user, pk)
    path = Path(batch.errors_file) if batch.errors_file else None
    if path is None:
        raise Http404(_("This import has no rejected rows to download."))
    if tempfiles.expired(batch.finished_at) or not path.is_file():
        raise Http404(
            _("The rejected rows were kept for %(hours)d hours after the import and have been deleted.")
            % {"hours": settings.EXPORT_HOURS}
        )
    name = f"{Path(batch.file_name).stem}-errors{path.suffix}"
    # Sealed on disk under the data key (core.importing.errors): opened for this download only.
    return FileResponse(io.BytesIO(read_error_file(path)), as_attachment=True, filename=name)


@require_GET
@login_required
def import_template(request, kind, fmt):
    try:
        spec = columns.kind_named(kind)
    except ValueError:
        raise Http404(_("No such kind of record.")) from None
    if fmt == "csv":
        body, content_type = columns.template_csv(spec), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = columns.template_xlsx(spec)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404(_("No such format."))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response


@require_GET
@login_required
def export_records(request):
    """The records of a kind the user may see (one grid, optionally), as XLSX or CSV. Audited."""
    _require_collector(request.user)
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(" ".join(str(e) for errors in form.errors.values() for e in errors), status=400)
    kind, fmt = form.cleaned_data["kind"], form.cleaned_data["format"]
    grid = form.cleaned_data["grid"].strip()
    # The file goes when the download ends (closing it deletes it); one a killed process left
    # behind goes with the expired exports (core.tempfiles).
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", dir=tempfiles.exports_dir())  # noqa: SIM115 - handed to the response
    try:
        count = exporting.export_records(
            actor=request.user, kind=kind, fmt=fmt, path=handle.name, grids=[grid] if grid else []
        )
    except ValidationError as exc:
        handle.close()
        return HttpResponse(" ".join(exc.messages), status=400)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=f"{kind}.{fmt}")
    response["X-Record-Count"] = str(count)
    return response
