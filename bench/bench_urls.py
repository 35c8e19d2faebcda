"""The project's URLs plus the two ceilings ``bench/events.py`` measures next to the events API.

- ``POST /bench/noop``: a view that does nothing (what Django, its middleware stack and the
  server cost per request);
- ``POST /bench/insert``: validates the body ``POST /api/v1/events`` takes (category code, title,
  description, lon, lat) and inserts one row into a plain table (``BARE_TABLE``, created by the
  bench with raw SQL): the database's write ceiling through the same stack.

Both are bench-only: the production URLconf (``fengqiao.urls``) never includes them; the bench's
server runs with ``bench.bench_settings``, whose ``ROOT_URLCONF`` is this module.
"""

import json
import math

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from fengqiao.urls import urlpatterns as project_urlpatterns

BARE_TABLE = "bench_bare_intake"
NOOP_PATH = "bench/noop"
INSERT_PATH = "bench/insert"

_category_codes: set[str] = set()


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


urlpatterns = [
    path(NOOP_PATH, noop),
    path(INSERT_PATH, bare_insert),
    *project_urlpatterns,
]
