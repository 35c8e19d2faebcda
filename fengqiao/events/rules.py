"""The size limits of a report, written once: the model's columns, the staff's and the portal's
forms, the API's schema, ``events.actions.build_report`` (and so Open311 and the 110 import) and
the attachments all take them from here, so a report is refused for the same reason whichever
door it came through.

- a title of at most ``TITLE_MAX`` characters, a description of at most ``DESCRIPTION_MAX``, and
  the staff's reply to the reporter of at most ``REPLY_MAX`` (it goes out by SMS);
- at most ``FENGQIAO_REPORT_MAX_PHOTOS`` files (5) and ``FENGQIAO_REPORT_MAX_MB`` (20) in all per
  report; each file is also held to ``FENGQIAO_MAX_UPLOAD_MB`` by ``core.uploads``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
REPLY_MAX = 300  # the staff's reply to the reporter: it goes out by SMS

# What a text over its limit is told, naming the field (Django's forms and validators fill in
# limit_value and show_value the same way).
TOO_LONG = {
    "title": gettext_lazy("Title: at most %(limit_value)d characters (this one has %(show_value)d)."),
    "description": gettext_lazy(
        "Description: at most %(limit_value)d characters (this one has %(show_value)d)."
    ),
    "reply": gettext_lazy(
        "Reply to the reporter: at most %(limit_value)d characters (this one has %(show_value)d)."
    ),
}
LIMITS = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "reply": REPLY_MAX}


def max_photos() -> int:
    return int(getattr(settings, "FENGQIAO_REPORT_MAX_PHOTOS", 5))


def max_report_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_REPORT_MAX_MB", 20)) * 1024 * 1024


def check_lengths(**texts: str) -> dict[str, list[str]]:
    """The errors of ``title=…`` and ``description=…`` over their limits, by field."""
    return {
        name: [str(TOO_LONG[name]) % {"limit_value": LIMITS[name], "show_value": len(text)}]
        for name, text in texts.items()
        if text and len(text) > LIMITS[name]
    }


def check_files(files, *, already: int = 0, already_bytes: int = 0) -> None:
    """At most ``max_photos()`` files and ``max_report_bytes()`` in all on one report, counting
    the ``already`` files (of ``already_bytes``) it carries. A ValidationError on ``file``."""
    files = list(files)
    count = already + len(files)
    if count > max_photos():
        raise ValidationError(
            {
                "file": [
                    _("At most %(n)d photos or documents per report (%(count)d were sent).")
                    % {"n": max_photos(), "count": count}
                ]
            }
        )
    total = already_bytes + sum(f.size or 0 for f in files)
    if total > max_report_bytes():
        raise ValidationError(
            {
                "file": [
                    _("A report's files may be %(mb)d MB in all (these are %(size).1f MB).")
                    % {"mb": max_report_bytes() // 2**20, "size": total / 2**20}
                ]
            }
        )
