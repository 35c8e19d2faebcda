"""The resident's "who read my record" page (PIPL's right to know): which units read the person
record linked to their account, when and why; never the officers' names."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fengqiao.registry import access


@require_GET
@login_required
def my_record_reads(request):
    return render(request, "portal/my_record_reads.html", {"reads": access.reads_of_my_record(request.user)})
