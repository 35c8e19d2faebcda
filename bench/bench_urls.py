"""The project's URLs plus the three ceilings ``bench/events.py`` measures next to the events API.

- ``POST /bench/noop``: a view that does nothing (what Django, its middleware stack and the
  server cost per request);
- ``POST /bench/insert``: validates the body ``POST /api/v1/events`` takes (category code, title,
  description, lon, lat) and inserts one row into a plain table (``BARE_TABLE``, created by the
  bench with raw SQL): the database's write ceiling through the same stack;
- ``POST /bench/intake-sql``: writes the rows one intake writes, with plain SQL in one
  transaction: the day's case counter, the event, its first timeline entry, one notification
  per recipient (the grid's workers and the district's officer, not the one reporting), the
  audit entry (hash-chained as ``core.audit`` chains it) and the chain head. It checks the bearer
  token and the caller's area with one query each and places the point with the project's
  locator, as intake must; categories and grids are read once per process. It leaves out what
  intake does beyond writing its rows (the working calendar's deadline, the answer's possible
  duplicates): the ceiling of an intake's writes.

Both are bench-only: the production URLconf (``fengqiao.urls``) never includes them; the bench's
server runs with ``bench.bench_settings``, whose ``ROOT_URLCONF`` is this module.
"""

import datetime as dt
import hashlib
import json
import math
import secrets

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from fengqiao.core import audit
from fengqiao.urls import urlpatterns as project_urlpatterns

BARE_TABLE = "bench_bare_intake"
NOOP_PATH = "bench/noop"
INSERT_PATH = "bench/insert"
INTAKE_SQL_PATH = "bench/intake-sql"

_category_codes: set[str] = set()
_categories: dict[str, tuple] = {}  # code -> (id, kind, responsible)
_grids: dict[int, tuple[str, str]] = {}  # id -> (scope_path, code)
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIRST_STEP = dt.timedelta(minutes=15)  # the "reported" step's limit of the bundled categories


def bare_table_sql(vendor: str) -> str:
    key = "id INTEGER PRIMARY KEY AUTOINCREMENT" if vendor == "sqlite" else "id bigserial PRIMARY KEY"
    stamp = "datetime" if vendor == "sqlite" else "timestamp with time zone"
    return (
        f"CREATE TABLE {BARE_TABLE} ({key}, category varchar(16) NOT NULL, title varchar(200) NOT NULL, "
        f"description text NOT NULL, lon double precision NOT NULL, lat double precision NOT NULL, "
        f"created_at {stamp} NOT NULL)"
    )


def _known_categories() -> set[str]:
    # Read once per process: the ceiling validates like the API, without paying a query for it.
    if not _category_codes:
        with connection.cursor() as cursor:
            cursor.execute("SELECT code FROM events_category WHERE active")
            _category_codes.update(row[0] for row in cursor.fetchall())
    return _category_codes


def _number(value, name: str, limit: float, errors: dict) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors[name] = "must be a number"
        return None
    if not -limit <= value <= limit:
        errors[name] = f"must be between -{limit} and {limit}"
        return None
    return float(value)


@csrf_exempt
def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def bare_insert(request):
    if request.method != "POST":
        return JsonResponse({"detail": "POST only"}, status=405)
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "the body is not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"detail": "the body is not a JSON object"}, status=400)
    errors: dict[str, str] = {}
    category = data.get("category")
    if not isinstance(category, str) or category.strip() not in _known_categories():
        errors["category"] = "unknown category"
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors["title"] = "1 to 200 characters"
    description = data.get("description", "")
    if not isinstance(description, str):
        errors["description"] = "must be text"
    lon = _number(data.get("lon"), "lon", 180, errors)
    lat = _number(data.get("lat"), "lat", 90, errors)
    if errors:
        return JsonResponse({"detail": errors}, status=422)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (category, title, description, lon, lat, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            [category.strip(), title.strip(), description.strip(), lon, lat, timezone.now()],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


def _reference() -> None:
    # Categories and grids once per process, as the app's reference-data cache holds them.
    if not _categories:
        with connection.cursor() as cursor:
            cursor.execute("SELECT code, id, kind, responsible FROM events_category WHERE active")
            _categories.update({row[0]: row[1:] for row in cursor.fetchall()})
            cursor.execute("SELECT id, scope_path, code FROM geo_grid WHERE is_active")
            _grids.update({row[0]: row[1:] for row in cursor.fetchall()})


def _caller(request) -> tuple[int, str, list[str]] | None:
    """(user id, username, the paths the user is posted at) of a live bearer token."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, u.username, g.scope_path, p.path FROM accounts_apitoken t "
            "JOIN accounts_user u ON u.id = t.user_id "
            "LEFT JOIN accounts_posting s ON s.user_id = u.id "
            "LEFT JOIN geo_grid g ON g.id = s.grid_id LEFT JOIN geo_policeunit p ON p.id = s.unit_id "
            "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active",
            [digest],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    return rows[0][0], rows[0][1], [path for row in rows for path in row[2:] if path]


@csrf_exempt
def intake_sql(request):
    from fengqiao.geo import locator

    if request.method != "POST":
        return JsonResponse({"detail": "POST only"}, status=405)
    caller = _caller(request)
    if caller is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    user_id, username, prefixes = caller
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "the body is not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"detail": "the body is not a JSON object"}, status=400)
    _reference()
    errors: dict[str, str] = {}
    category = _categories.get(str(data.get("category", "")).strip())
    if category is None:
        errors["category"] = "unknown category"
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors["title"] = "1 to 200 characters"
    description = data.get("description", "")
    if not isinstance(description, str):
        errors["description"] = "must be text"
    lon = _number(data.get("lon"), "lon", 180, errors)
    lat = _number(data.get("lat"), "lat", 90, errors)
    grid_id = None if errors else locator.current_locator().locate(lon, lat)
    if not errors and grid_id not in _grids:
        errors["lon"] = "outside the territory"
    if errors:
        return JsonResponse({"detail": errors}, status=422)
    grid_path, grid_code = _grids[grid_id]
    if not any(grid_path == p or grid_path.startswith(p + "/") for p in prefixes):
        return JsonResponse({"detail": {"lon": "outside your area"}}, status=422)
    category_id, kind, responsible = category
    holder = "/".join(grid_path.split("/")[:3]) if responsible == "station" else grid_path
    paths = [holder, grid_path.rsplit("/", 1)[0]] if holder == grid_path else [holder]
    marks = ", ".join(["%s"] * len(paths))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.user_id FROM accounts_posting s JOIN geo_grid g ON g.id = s.grid_id "
            f"WHERE g.scope_path IN ({marks}) UNION "
            "SELECT s.user_id FROM accounts_posting s JOIN geo_policeunit p ON p.id = s.unit_id "
            f"WHERE p.path IN ({marks})",
            paths + paths,
        )
        posted = [row[0] for row in cursor.fetchall() if row[0] != user_id]
        if posted:
            cursor.execute(
                f"SELECT id FROM accounts_user WHERE is_active AND id IN ({', '.join(['%s'] * len(posted))})",
                posted,
            )
            posted = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    county = grid_path.split("/")[1]
    day = timezone.localdate(now)
    title, description = title.strip(), description.strip()
    tracking = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            'UPDATE core_casecounter SET "last" = "last" + 1 WHERE prefix = %s AND county = %s AND day = %s '
            'RETURNING "last"',
            ["E", county, day],
        )
        row = cursor.fetchone()
        if row is None:  # the day's first (the bench's warm-up makes it)
            cursor.execute(
                'INSERT INTO core_casecounter (prefix, county, day, "last") VALUES (%s, %s, %s, 1)',
                ["E", county, day],
            )
            row = (1,)
        number = f"E-{county}-{day:%Y%m%d}-{row[0]:04d}"
        cursor.execute(
            "INSERT INTO events_event (scope_path, number, status, version, holder_path, assignee_id, level, "
            "opened_at, step_started_at, due_at, remind_at, reminded, missed_deadlines, closed_at, kind, "
            "category_id, title, description, channel, grid_id, address_id, address_text, lon, lat, "
            "reporter_id, reporter_name, reporter_phone, tracking_code, external_id, duplicate_of_id, "
            "rework_count, reopen_count, extension_hours, rating, rated_at) VALUES (%s, %s, 'reported', 1, "
            "%s, NULL, 0, %s, %s, %s, %s, %s, 0, NULL, %s, %s, %s, %s, 'api', %s, NULL, '', %s, %s, NULL, "
            "'', '', %s, '', NULL, 0, 0, NULL, NULL, NULL) RETURNING id",
            [
                grid_path,
                number,
                holder,
                now,
                now,
                now + FIRST_STEP,
                now + FIRST_STEP * 0.8,
                False,
                kind,
                category_id,
                title,
                description,
                grid_id,
                lon,
                lat,
                tracking,
            ],
        )
        (event_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO core_timelineentry (case_type, case_id, at, actor_id, actor_label, transition, "
            "from_status, to_status, holder_path, note, data) "
            "VALUES ('event', %s, %s, %s, %s, 'open', '', 'reported', %s, '', '{}')",
            [event_id, now, user_id, username, holder],
        )
        for recipient in posted:
            cursor.execute(
                "INSERT INTO core_notification (recipient_id, kind, title, body, link, scope_path, "
                "created_at) VALUES (%s, 'event', %s, %s, %s, %s, %s)",
                [recipient, f"{number}: new", title, f"/events/{number}/", holder, now],
            )
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(f"SELECT last_hash FROM core_auditchainhead WHERE id = 1{lock}")
        entry = {
            "created_at": timezone.now(),
            "actor_id": user_id,
            "actor_label": username,
            "action": "event_report",
            "object_type": "events.event",
            "object_id": str(event_id),
            "object_repr": number,
            "before": None,
            "after": {"channel": "api", "category": data["category"].strip(), "grid": grid_code, "via": ""},
            "reason": "",
            "source": "api",
            "request_id": secrets.token_hex(16),
            "ip": request.META.get("REMOTE_ADDR"),
            "prev_hash": cursor.fetchone()[0],
            "scheme": audit.preferred_scheme(),
        }
        entry_hash = audit.chain_hash(entry)  # core.audit's own keyed hash: the chain still verifies
        cursor.execute(
            "INSERT INTO core_auditentry (created_at, actor_id, actor_label, action, object_type, object_id, "
            "object_repr, before, after, reason, source, request_id, ip, prev_hash, scheme, entry_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                *(entry[k] for k in ("created_at", "actor_id", "actor_label", "action", "object_type")),
                *(entry[k] for k in ("object_id", "object_repr")),
                json.dumps(entry["after"], ensure_ascii=False),
                *(entry[k] for k in ("reason", "source", "request_id", "ip", "prev_hash", "scheme")),
                entry_hash,
            ],
        )
        cursor.execute(
            "UPDATE core_auditchainhead SET last_hash = %s, mac = %s WHERE id = 1",
            [entry_hash, audit.head_mac(entry_hash, entry["scheme"])],
        )
    body = {"number": number, "tracking_code": tracking, "status": "reported", "version": 1}
    return JsonResponse(body, status=201)


urlpatterns = [
    path(NOOP_PATH, noop),
    path(INSERT_PATH, bare_insert),
    path(INTAKE_SQL_PATH, intake_sql),
    *project_urlpatterns,
]
