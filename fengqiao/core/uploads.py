"""What residents and staff may upload (photos, scans, PDFs), and how an upload is served again.

Every upload goes through :func:`check_upload`, whichever door it came through:

- its type is told by its first bytes, never by its name; its size is at most
  ``FENGQIAO_MAX_UPLOAD_MB`` (10 by default);
- a JPEG or PNG is decoded and encoded again with Pillow: whatever followed the image's end (a
  script, a page, an archive) is gone, the EXIF block with the GPS position and the camera goes,
  the orientation it gave is applied to the pixels first, and an image of more than
  ``MAX_PIXELS`` pixels (a decompression bomb) is refused before it is decoded;
- a PDF must parse with pypdf and have a page.

What is kept is the :class:`CheckedUpload`'s ``file``, never the upload itself. :func:`serve_upload`
answers with a kept file: images inline, anything else as a download, and every one with
``Content-Security-Policy: sandbox`` and ``X-Content-Type-Options: nosniff``, so a file that a
browser would run as a page runs nowhere.
"""

import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _

SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"%PDF-": ("application/pdf", ".pdf"),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}

# 50 megapixels: more than any phone's photo or a scan at 300 dpi of an A3 page, far less than a
# bomb that decodes to gigabytes.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload as it is to be kept: the cleaned bytes, their type and the uploader's name."""

    file: ContentFile
    name: str
    content_type: str
    extension: str

    @property
    def size(self) -> int:
        return self.file.size


def max_upload_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_MAX_UPLOAD_MB", 10)) * 1024 * 1024


def _refused(message: str, name: str) -> ValidationError:
    values = {"name": name, "mb": max_upload_bytes() // 2**20, "mp": MAX_PIXELS // 1_000_000}
    return ValidationError({"file": [message % values]})


def check_upload(upload) -> CheckedUpload:
    """The upload made safe to keep (a JPEG or PNG encoded again, a PDF that parses); a
    ValidationError on ``file`` naming the upload otherwise."""
    name = upload.name or ""
    if upload.size > max_upload_bytes():
        raise _refused(_("%(name)s is larger than %(mb)s MB."), name)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = next((v for sig, v in SIGNATURES.items() if data.startswith(sig)), None)
    if kind is None:
        raise _refused(_("%(name)s is not a JPEG, PNG or PDF file."), name)
    content_type, extension = kind
    if content_type == "application/pdf":
        _check_pdf(data, name)
        cleaned = data
    else:
        cleaned = _reencode(data, PILLOW_FORMATS[content_type], name)
    return CheckedUpload(ContentFile(cleaned, name=f"upload{extension}"), name, content_type, extension)


def _reencode(data: bytes, fmt: str, name: str) -> bytes:
    """The image's pixels, upright, in a new file of the same format with no metadata."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refused(_("%(name)s is too large an image: at most %(mp)s megapixels."), name)
                image.load()
                clean = ImageOps.exif_transpose(image)  # a copy, turned as the EXIF says
                # The pixels alone: no EXIF (GPS, camera, time), no text chunks, no ICC profile, no
                # thumbnail; only a palette's transparency comes along.
                transparency = clean.info.get("transparency")
                clean.info = {} if transparency is None else {"transparency": transparency}
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as error:
        logger.info("upload %r refused: %s", name, error)
        raise _refused(_("%(name)s is damaged or not a complete image: it cannot be opened."), name) from None
    out = io.BytesIO()
    if fmt == "JPEG":
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        save = {"transparency": clean.info["transparency"]} if "transparency" in clean.info else {}
        clean.save(out, "PNG", optimize=True, **save)
    return out.getvalue()


def _check_pdf(data: bytes, name: str) -> None:
    """A PDF that pypdf reads, with at least one page."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if len(reader.pages) < 1:
            raise ValueError("no pages")
        reader.pages[0].mediabox  # noqa: B018 (reading the first page is the check)
    except Exception as error:  # pypdf raises many kinds on a broken file: each means the same
        logger.info("upload %r refused: %s", name, error)
        raise _refused(_("%(name)s is not a valid PDF: it cannot be opened."), name) from None


def serve_upload(file, *, content_type: str, filename: str) -> FileResponse:
    """A kept upload as an answer: an image inline, anything else as a download; sandboxed and
    never sniffed, whatever the browser thinks the bytes are."""
    inline = content_type in PILLOW_FORMATS
    response = FileResponse(file, content_type=content_type, as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
