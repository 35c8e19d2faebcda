"""The weekly analysis reports' archive (/analytics/reports/) and their downloads: thin over
:mod:`fengqiao.analytics.report`, which scopes, finds the file and audits the read."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fengqiao.analytics import report
from fengqiao.web.menu import requires


@require_GET
@login_required
@requires("command")
def report_list(request):
    week, error = None, ""
    if request.GET.get("week"):
        try:
            week = report.parse_week(request.GET["week"])
        except ValidationError as problem:
            error = " ".join(problem.messages)
    reports = list(report.reports_for(request.user, week=week)[:200])
    rows = [{"report": r, "label": report.week_label(r.week), "iso": f"{r.week:%G-W%V}"} for r in reports]
    context = {"rows": rows, "week": request.GET.get("week", ""), "error": error}
    return render(request, "web/hotspots/reports.html", context, status=400 if error else 200)


@require_GET
@login_required
def report_download(request, pk: int, kind: str):
    path, name = report.report_file(request.user, pk, kind)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=report.CONTENT_TYPES[kind]
    )
