"""When a node of the police tree moves (a grid to another police district), every row stored
under its old path follows it, so scoping keeps answering who sees what.

The rows are found the way scoping finds them: every concrete :class:`ScopedModel`, whichever
app declares it (so ``core`` needs to know none of them), plus the holder and the assignee of the
cases under the node and the outbound channels kept for it. Each is rewritten set-based, in pk
ranges, inside the caller's transaction: the caller writes the one audit entry with the counts.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr

from fengqiao.core.casework import Case
from fengqiao.core.notifications.actions import ACTIVE_CHANNELS
from fengqiao.core.notifications.models import Channel
from fengqiao.core.scoping import ScopedModel, scope_q

UNSCOPED_RELOCATE = "relocate: a node of the tree moved and every row under it follows"


def scoped_models() -> list[type[ScopedModel]]:
    return [m for m in apps.get_models() if issubclass(m, ScopedModel) and not m._meta.proxy]


def move_subtree(old: str, new: str, *, chunk: int = 5000) -> dict[str, int]:
    """Rewrite ``old`` to ``new`` at the head of every stored path at or under ``old``; returns
    the rows changed per model ("app_label.model"), leaving out those with none."""
    if not old or not new or old == new:
        raise ValueError(f"cannot move {old!r} to {new!r}")
    counts = {}
    for model in scoped_models():
        changes = {"scope_path": _moved(old, new, "scope_path")}
        if issubclass(model, Case):
            changes["holder_path"] = _moved_holder(old, new)
            changes["assignee"] = _assignee_who_sees(new)
        counts[model._meta.label_lower] = _rewrite(
            model.objects.unscoped(reason=UNSCOPED_RELOCATE), old, "scope_path", changes, chunk
        )
    counts[Channel._meta.label_lower] = _rewrite(
        Channel.objects.all(), old, "scope_path", {"scope_path": _moved(old, new, "scope_path")}, chunk
    )
    if counts[Channel._meta.label_lower]:
        ACTIVE_CHANNELS.bump()  # an UPDATE sends no signal
    return {label: n for label, n in counts.items() if n}


def _moved(old: str, new: str, field: str):
    """The path with its head ``old`` replaced by ``new``, in SQL."""
    return Concat(Value(new), Substr(field, len(old) + 1), output_field=models.CharField())


def _moved_holder(old: str, new: str):
    """A case under the node held at or under it moves with it; one held by a unit above it
    (escalated) goes to the unit at the same rung above the new place; any other holder stays."""
    branches = [models.When(scope_q([old], "holder_path"), then=_moved(old, new, "holder_path"))]
    old_rungs, new_rungs = old.split("/"), new.split("/")
    for depth in range(1, min(len(old_rungs), len(new_rungs))):
        above_old, above_new = "/".join(old_rungs[:depth]), "/".join(new_rungs[:depth])
        if above_old != above_new:
            branches.append(models.When(holder_path=above_old, then=Value(above_new)))
    return models.Case(*branches, default=F("holder_path"))


def _assignee_who_sees(new: str):
    """An assignee who no longer sees the case lets it go: its new holders assign it again."""
    rungs = new.split("/")
    User = get_user_model()
    seers = User.posted_at(*("/".join(rungs[:depth]) for depth in range(1, len(rungs) + 1)))
    sees = Q(assignee__in=seers) | Q(assignee__in=User.objects.filter(is_superuser=True))
    return models.Case(models.When(sees, then=F("assignee")), default=None)


def _rewrite(queryset, old: str, field: str, changes: dict, chunk: int) -> int:
    rows = queryset.filter(scope_q([old], field, vendor=connections[queryset.db].vendor))
    pks = list(rows.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), chunk):
        part = pks[start : start + chunk]
        rows.filter(pk__gte=part[0], pk__lte=part[-1]).update(**changes)
    return len(pks)
