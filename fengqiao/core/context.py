"""Who is acting, and through which door. Set by the middleware, the CLI and the worker."""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, field


class Source:
    WEB = "web"
    API = "api"
    CLI = "cli"
    IMPORT = "import"
    WORKER = "worker"

    ALL = (WEB, API, CLI, IMPORT, WORKER)


@dataclass(frozen=True)
class ActorContext:
    source: str
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    fixed_actor: object | None = None
    request: object | None = None  # the web/API request, whose user is known only after auth

    @property
    def actor(self):
        if self.fixed_actor is not None:
            return self.fixed_actor
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


_current: contextvars.ContextVar[ActorContext | None] = contextvars.ContextVar("fengqiao_actor", default=None)


def current() -> ActorContext | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(actor, source: str, *, request=None, request_id: str | None = None, ip: str | None = None):
    """Run the block on behalf of ``actor`` (or of ``request.user``); audit entries name them."""
    if source not in Source.ALL:
        raise ValueError(f"unknown source {source!r}")
    ctx = ActorContext(
        source=source, request_id=request_id or uuid.uuid4().hex, ip=ip, fixed_actor=actor, request=request
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
