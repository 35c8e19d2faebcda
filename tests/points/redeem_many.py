"""Run by test_concurrency in a process of its own, on the database named by FENGQIAO_DATABASE_URL
(an SQLite file or the PostgreSQL test database): the redemptions given as JSON on stdin, from as
many threads as asked, each thread on its own connection. Prints what happened as JSON: each
job's outcome, the balances after, and whether ``points check`` found every balance right."""

import io
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import django


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connections

    from fengqiao.patrols.models import Member
    from fengqiao.points import actions
    from fengqiao.points.models import Account, Item, Transaction

    job = json.load(sys.stdin)
    clerk = get_user_model().objects.get(pk=job["clerk"])
    items = {i.pk: i for i in Item.objects.unscoped(reason="test").select_related("station")}
    members = {m.pk: m for m in Member.objects.select_related("team")}

    def attempt(request) -> str:
        item_id, member_id, key = request
        try:
            _txn, created = actions.redeem(
                items[item_id], members[member_id], actor=clerk, idempotency_key=key
            )
            return "ok" if created else "again"
        except actions.Refused:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(job["threads"]) as pool:
        outcomes = list(pool.map(attempt, job["requests"]))
    try:
        call_command("points", "check", stdout=io.StringIO())
        check = "clean"
    except CommandError as error:
        check = str(error)
    accounts = Account.objects.unscoped(reason="test")
    json.dump(
        {
            "outcomes": outcomes,
            "points": {str(a.member_id): a.balance for a in accounts.filter(kind="volunteer")},
            "stock": {str(a.item_id): a.balance for a in accounts.filter(kind="stock")},
            "negative": accounts.filter(
                balance__lt=0, kind__in=["volunteer", "stock", "held", "reserved"]
            ).count(),
            "check": check,
            "keys": list(
                Transaction.objects.unscoped(reason="test")
                .filter(source="redemption")
                .values_list("idempotency_key", flat=True)
            ),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
