"""The project's URLs plus the ceiling ``bench/points.py`` measures next to
``POST /api/v1/points/redemptions``:

``POST /bench/points-redeem-sql`` writes the rows one redemption writes, with plain SQL in one
transaction: the ledger transaction (its idempotency key claimed by the unique index; a key seen
before answers the first one), its four entries, the four balances moved by conditional UPDATEs
(the volunteer's points and the shelf refused below zero), the audit entry hash-chained as
``core.audit`` chains it, and the chain head. It checks the bearer token with one query
(``bench.bench_urls._caller``) and reads the item and the four accounts with one more. It leaves
out what the API does beyond its rows (the scoping of the member and the item, the schema's
checks, the answer's balance read): the ceiling of a redemption's writes.

Bench-only: the production URLconf never includes it; the bench's server runs with
``bench.points_settings``.
"""

import json
import secrets

from django.db import IntegrityError, connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bench.bench_urls import _caller
from fengqiao.core import audit
from fengqiao.urls import urlpatterns as project_urlpatterns

CEILING_PATH = "bench/points-redeem-sql"


class _Refused(Exception):
    pass


def _accounts(cursor, member_id: int, item_id: int):
    """(price, station id, scope path) of the item and its station's four accounts by kind."""
    cursor.execute(
        "SELECT i.price, i.station_id, i.scope_path, a.id, a.kind FROM points_item i "
        "JOIN points_account a ON a.station_id = i.station_id AND ("
        "(a.kind = 'volunteer' AND a.member_id = %s) OR a.kind = 'issuing' "
        "OR (a.kind IN ('stock', 'goods_out') AND a.item_id = i.id)) WHERE i.id = %s AND i.is_active",
        [member_id, item_id],
    )
    rows = cursor.fetchall()
    if len(rows) != 4:
        return None
    return rows[0][0], rows[0][1], rows[0][2], {row[4]: row[3] for row in rows}


@csrf_exempt
def redeem_sql(request):
    if request.method != "POST":
        return JsonResponse({"detail": "POST only"}, status=405)
    caller = _caller(request)
    if caller is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    user_id, username, _prefixes = caller
    try:
        data = json.loads(request.body)
        member_id, item_id, key = int(data["member"]), int(data["item"]), str(data["idempotency_key"])[:80]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "member, item and idempotency_key"}, status=422)
    now = timezone.now()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            found = _accounts(cursor, member_id, item_id)
            if found is None:
                return JsonResponse({"detail": "not found"}, status=404)
            price, station_id, scope_path, accounts = found
            try:
                with transaction.atomic():
                    cursor.execute(
                        "INSERT INTO points_transaction (scope_path, station_id, source, source_key, "
                        "idempotency_key, reverses_id, member_id, description, reason, verified_by_id, "
                        "created_at) VALUES (%s, %s, 'redemption', NULL, %s, NULL, %s, %s, '', %s, %s) "
                        "RETURNING id",
                        [
                            scope_path,
                            station_id,
                            key,
                            member_id,
                            f"item {item_id} for {price} points",
                            user_id,
                            now,
                        ],
                    )
                    (txn_id,) = cursor.fetchone()
            except IntegrityError:
                cursor.execute("SELECT id FROM points_transaction WHERE idempotency_key = %s", [key])
                return JsonResponse({"id": cursor.fetchone()[0]}, status=200)
            legs = [
                (accounts["volunteer"], -price, True),
                (accounts["issuing"], price, False),
                (accounts["stock"], -1, True),
                (accounts["goods_out"], 1, False),
            ]
            for account_id, amount, guarded in sorted(legs):
                guard = " AND balance >= %s" if guarded else ""
                cursor.execute(
                    f"UPDATE points_account SET balance = balance + %s WHERE id = %s{guard}",
                    [amount, account_id, -amount] if guarded else [amount, account_id],
                )
                if cursor.rowcount != 1:
                    raise _Refused("points" if account_id == accounts["volunteer"] else "stock")
            cursor.execute(
                "INSERT INTO points_entry (transaction_id, account_id, amount) VALUES "
                + ", ".join(["(%s, %s, %s)"] * 4),
                [v for account_id, amount, _g in legs for v in (txn_id, account_id, amount)],
            )
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            cursor.execute(f"SELECT last_hash FROM core_auditchainhead WHERE id = 1{lock}")
            entry = {
                "created_at": timezone.now(),
                "actor_id": user_id,
                "actor_label": username,
                "action": "points_redeem",
                "object_type": "points.transaction",
                "object_id": str(txn_id),
                "object_repr": f"item {item_id}",
                "before": None,
                "after": {"member": member_id, "item": item_id, "price": price},
                "reason": "",
                "source": "api",
                "request_id": secrets.token_hex(16),
                "ip": request.META.get("REMOTE_ADDR"),
                "prev_hash": cursor.fetchone()[0],
                "scheme": audit.preferred_scheme(),
            }
            entry_hash = audit.chain_hash(entry)
            cursor.execute(
                "INSERT INTO core_auditentry (created_at, actor_id, actor_label, action, object_type, "
                "object_id, object_repr, before, after, reason, source, request_id, ip, prev_hash, scheme, "
                "entry_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    *(entry[k] for k in ("created_at", "actor_id", "actor_label", "action", "object_type")),
                    *(entry[k] for k in ("object_id", "object_repr")),
                    json.dumps(entry["after"]),
                    *(entry[k] for k in ("reason", "source", "request_id", "ip", "prev_hash", "scheme")),
                    entry_hash,
                ],
            )
            cursor.execute(
                "UPDATE core_auditchainhead SET last_hash = %s, mac = %s WHERE id = 1",
                [entry_hash, audit.head_mac(entry_hash, entry["scheme"])],
            )
    except _Refused as refused:
        return JsonResponse({"detail": f"not enough {refused}"}, status=422)
    return JsonResponse({"id": txn_id}, status=201)


urlpatterns = [path(CEILING_PATH, redeem_sql), *project_urlpatterns]
