"""Settings for ``bench/points.py``'s server: the production settings, with the URLconf that adds
the bench-only ceiling of a redemption (``bench/points_urls.py``). Never used outside ``bench/``."""

from fengqiao.settings import *  # noqa: F403

ROOT_URLCONF = "bench.points_urls"
