"""What residents and staff may upload (photos, scans, PDFs): checked by the file's first bytes,
never by its name, and by its size (``FENGQIAO_MAX_UPLOAD_MB``, 10 by default)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"%PDF-": ("application/pdf", ".pdf"),
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_MAX_UPLOAD_MB", 10)) * 1024 * 1024


def check_upload(upload) -> tuple[str, str]:
    """The (content type, extension) of a JPEG, PNG or PDF upload; a ValidationError on ``file``
    naming the upload otherwise."""
    if upload.size > max_upload_bytes():
        raise ValidationError(
            {
                "file": [
                    _("%(name)s is larger than %(mb)s MB.")
                    % {"name": upload.name, "mb": max_upload_bytes() // 2**20}
                ]
            }
        )
    head = upload.read(16)
    upload.seek(0)
    kind = next((v for sig, v in SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None:
        raise ValidationError(
            {"file": [_("%(name)s is not a JPEG, PNG or PDF file.") % {"name": upload.name}]}
        )
    return kind
