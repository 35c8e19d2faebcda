"""The channel adapters: one function per kind of channel that sends one message or raises
DeliveryError with a message fit for the delivery record. Standard library HTTP with timeouts."""

import json
import smtplib
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail

from fengqiao.core.notifications.choices import ChannelKind

# Error bodies are kept short in the delivery record.
ERROR_BODY_CHARS = 300


class DeliveryError(Exception):
    """A channel did not take the message; the text says why."""


def message_text(payload: dict) -> str:
    """The plain text of a message: title, body, and the link made absolute when the site's
    address is known (a relative link means nothing in an SMS)."""
    lines = [payload.get("title", "")]
    if payload.get("body"):
        lines.append(payload["body"])
    link = payload.get("link", "")
    if link:
        site = getattr(settings, "SITE_URL", "").rstrip("/")
        if link.startswith("/") and site:
            lines.append(site + link)
        elif not link.startswith("/"):
            lines.append(link)
    return "\n".join(line for line in lines if line)


def _post_json(url: str, data: dict, *, timeout: float, headers: dict | None = None) -> tuple[int, bytes]:
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(
        url,
        data=json.dumps(data, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()[:ERROR_BODY_CHARS].decode(errors="replace")
        raise DeliveryError(f"HTTP {exc.code} from {_host(url)}: {body}".strip()) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DeliveryError(f"no answer from {_host(url)} within {timeout:g} s") from exc
        raise DeliveryError(f"cannot reach {_host(url)}: {exc.reason}") from exc
    except TimeoutError as exc:
        raise DeliveryError(f"no answer from {_host(url)} within {timeout:g} s") from exc
    except OSError as exc:
        raise DeliveryError(f"connection to {_host(url)} failed: {exc}") from exc


def _host(url: str) -> str:
    # Webhook URLs carry their secret key in the query: never write it into an error.
    return urlsplit(url).netloc


def send_wecom(channel, payload: dict) -> None:
    """A WeCom group bot: POST {"msgtype": "text", ...}; it answers {"errcode": 0, ...} on success
    (HTTP 200 with a non-zero errcode is a refusal, e.g. a bad key or too many messages)."""
    data = {"msgtype": "text", "text": {"content": message_text(payload)}}
    _, raw = _post_json(channel.url, data, timeout=channel.timeout)
    try:
        answer = json.loads(raw)
    except ValueError:
        raise DeliveryError(f"WeCom answered with something other than JSON: {raw[:100]!r}") from None
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        code = answer.get("errcode") if isinstance(answer, dict) else None
        message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise DeliveryError(f"WeCom errcode {code}: {message}".strip())


def send_sms(channel, phone: str, payload: dict) -> None:
    """An SMS gateway over HTTP: POST {"phone", "text"} with the bearer token; any 2xx is sent."""
    headers = {"Authorization": f"Bearer {channel.token}"} if channel.token else {}
    status, _ = _post_json(
        channel.url, {"phone": phone, "text": message_text(payload)}, timeout=channel.timeout, headers=headers
    )
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {_host(channel.url)}")


def send_email(channel, address: str, payload: dict) -> None:
    """E-mail through the channel's SMTP server, or the server's EMAIL_* settings when the
    channel names no host."""
    if channel.smtp_host:
        connection = mail.get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=channel.smtp_host,
            port=channel.smtp_port or (465 if channel.smtp_use_ssl else 25),
            username=channel.smtp_user or None,
            password=channel.smtp_password or None,
            use_tls=channel.smtp_use_tls,
            use_ssl=channel.smtp_use_ssl,
            timeout=channel.timeout,
            fail_silently=False,
        )
    else:
        connection = mail.get_connection(fail_silently=False)
    message = mail.EmailMessage(
        subject=payload.get("title", ""),
        body=message_text(payload),
        from_email=channel.from_email or None,
        to=[address],
        connection=connection,
    )
    try:
        sent = message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the SMTP server refused {address}") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login refused: {exc.smtp_code}") from exc
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP error: {exc}") from exc
    except TimeoutError as exc:
        raise DeliveryError(f"no answer from the SMTP server within {channel.timeout} s") from exc
    except OSError as exc:
        raise DeliveryError(f"cannot reach the SMTP server: {exc}") from exc
    if not sent:
        raise DeliveryError("the e-mail backend sent nothing")


def send(channel, address: str, payload: dict) -> None:
    """Send one message through one channel; DeliveryError when it did not go."""
    if channel.kind == ChannelKind.WECOM:
        send_wecom(channel, payload)
    elif channel.kind == ChannelKind.SMS:
        send_sms(channel, address, payload)
    elif channel.kind == ChannelKind.EMAIL:
        send_email(channel, address, payload)
    else:
        raise DeliveryError(f"unknown channel kind {channel.kind!r}")
