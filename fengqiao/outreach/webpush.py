"""Web Push to the browsers that subscribed on the portal (pywebpush, with our VAPID key).

The VAPID private key is kept in the data directory like the other keys (``conf.vapid_key_file``),
made on first use with owner-only permissions; the portal hands its public half to the browser's
``PushManager.subscribe``.
"""

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

from fengqiao.core.notifications.adapters import DeliveryError
from fengqiao.outreach import conf

TIMEOUT = 10
TTL = 24 * 3600  # a day: an alert older than that is no longer news


class Gone(DeliveryError):
    """The push service no longer knows the subscription (404/410): never try it again."""


def vapid() -> Vapid:
    path: Path = conf.vapid_key_file()
    if not path.exists():
        key = Vapid()
        key.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_pem()
        # Written owner-only from the start: never a moment the key is readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    return Vapid.from_file(str(path))


def public_key() -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point)."""
    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)


def send(subscription, message: dict) -> None:
    """Push one message (JSON: title, body) to one subscribed browser."""
    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    data = json.dumps(
        {"title": message.get("title", ""), "body": message.get("body", "")}, ensure_ascii=False
    )
    try:
        webpush(
            info,
            data=data,
            vapid_private_key=vapid(),
            vapid_claims={"sub": conf.vapid_subject()},
            timeout=TIMEOUT,
            ttl=TTL,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise Gone(f"HTTP {status}: the browser's subscription has expired") from exc
        raise DeliveryError(
            f"push service refused: HTTP {status}" if status else f"push failed: {exc.message}"
        ) from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"push failed: {type(exc).__name__}: {exc}") from exc
