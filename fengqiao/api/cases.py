"""How the API moves a case of any type (an event, a dispute): optimistically, against the version
the caller saw. A detail carries its version as its ``ETag``; a move sends it back in
``If-Match: "3"`` (or ``version`` in the body). A stale one is 412 with the current version, a move
without any version is 428: nobody overwrites a step they have not seen."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Status

from fengqiao.api.errors import field_errors_payload
from fengqiao.core import casework

IF_MATCH = "If-Match"
# One entity tag, strong or weak: "3", W/"3", or a bare 3 from a lenient client.
ETAG = re.compile(r'^(?:W/)?"?([0-9]{1,9})"?$')
# The header in the OpenAPI document of every move endpoint.
IF_MATCH_PARAMETER = {
    "parameters": [
        {
            "in": "header",
            "name": IF_MATCH,
            "required": False,
            "schema": {"type": "string"},
            "description": 'The case\'s version as its ETag gave it, e.g. "3"; required unless the body '
            "carries `version`.",
        }
    ]
}


def etag(version: int) -> str:
    return f'"{version}"'


def seen_version(request, payload) -> int | None:
    header = request.headers.get(IF_MATCH)
    if header is None:
        return payload.version
    match = ETAG.match(header.strip())
    if match is None:
        raise ValidationError({IF_MATCH: [_('Give one version, as the ETag gave it: "3".')]})
    seen = int(match.group(1))
    if payload.version is not None and payload.version != seen:
        raise ValidationError({"version": [_("It differs from the version in If-Match.")]})
    return seen


def move(request, case, payload, response, *, take) -> Status | None:
    """Take ``payload``'s step on ``case`` with ``take`` (the case type's move action) against the
    version the caller saw; the 428 or 412 answer when it cannot be taken, else None."""
    seen = seen_version(request, payload)
    if seen is None:
        message = _('Send the version you saw: the header If-Match: "<version>" (or "version" in the body).')
        return Status(428, field_errors_payload([(IF_MATCH, message)]))
    try:
        take(case, payload.transition, actor=request.auth, version=seen, note=payload.note, data=payload.data)
    except casework.Conflict as conflict:
        response["ETag"] = etag(conflict.case.version)
        return Status(412, {"detail": str(conflict), "current_version": conflict.case.version})
    return None
