"""How the log reads: one line per event, in the settings' time zone with its offset.

Django's lines and gunicorn's share one shape (gunicorn's own: ``[2026-12-06 21:50:15 +0800]
[pid] [LEVEL] message``, with the logger's name before Django's messages) and one zone, the
``TIME_ZONE`` of the settings: Django writes its times in it (:class:`ZonedFormatter`), and
gunicorn started with ``-c python:fengqiao.gunicorn_conf`` runs in it (its access log included).

An ordinary refusal (403) or a bad request (400) is one warning line: Django hands the exception
to the log with it, which would print its traceback every time (:class:`NoClientErrorTraceback`).
Server errors (5xx) keep theirs.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

# gunicorn's error log format, so that both read alike.
FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
DATE_FORMAT = "[%Y-%m-%d %H:%M:%S %z]"


class ZonedFormatter(logging.Formatter):
    """A formatter whose times are in ``zone`` (an IANA name), whatever the process's own zone."""

    def __init__(self, format=None, datefmt=None, zone="UTC"):  # noqa: A002 (dictConfig's key)
        super().__init__(format, datefmt)
        self.zone = ZoneInfo(zone)

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        moment = dt.datetime.fromtimestamp(record.created, self.zone)
        return moment.strftime(datefmt or DATE_FORMAT)


class NoClientErrorTraceback(logging.Filter):
    """Drop the traceback of a record about a 4xx answer: the request was refused, nothing broke."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def config(*, level: str, zone: str) -> dict:
    """The ``LOGGING`` of the settings."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"no_client_error_traceback": {"()": "fengqiao.logs.NoClientErrorTraceback"}},
        "formatters": {
            "zoned": {
                "()": "fengqiao.logs.ZonedFormatter",
                "format": FORMAT,
                "datefmt": DATE_FORMAT,
                "zone": zone,
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "zoned",
                "filters": ["no_client_error_traceback"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
