"""Settings for the benchmarks' server: the production settings, plus the ceiling routes.

Only ``ROOT_URLCONF`` differs, so the server that answers the ceilings is the very one that
answers ``POST /api/v1/events`` (same middleware, same database settings, DEBUG off unless the
environment says otherwise). Never used outside ``bench/``.
"""

from fengqiao.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
