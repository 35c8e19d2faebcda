"""Benchmark: Getis-Ord Gi* for every grid of the scale-1.0 demo city (3,475 grids), 999 permutations.

In one run, in a database of its own (SQLite in a temporary data directory):

1. builds the scale-1.0 demo city (its grids and staff; no registry, no events) and gives each grid
   a count drawn from a seeded, clustered intensity (a few centres of crime over a background), so
   Gi* has hot and cold grids to find;
2. cold: ``analytics.spatial.city_lattice()`` reads the outlines and builds the queen weights, then
   ``gi_star`` (esda ``G_Local``, 999 permutations, seeded);
3. warm, ``--rounds`` times: ``city_lattice()`` again (one version query; the weights are cached)
   and ``gi_star`` — what a page of the hotspot map pays. Goal: ≤ 2 s;
4. the baseline, in the same run: esda directly on the same counts, with queen weights built from
   the polygons on the spot (what each request would pay without the cache), and the check that
   its z-scores equal ours and that our pseudo p-values are its simulations counted with ties on
   both sides (``spatial.pseudo_p``; esda's own ``p_sim`` makes zero-count grids cold);
5. prints the times, the ratio baseline ÷ warm and the check.

    .venv/bin/python bench/hotspots.py [--rounds 5] [--seed 1] [--keep]
"""

import argparse
import io
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 2.0


def log(message: str = "") -> None:
    print(message, flush=True)


def build_city(seed: int) -> None:
    from django.core.management import call_command, load_command_class

    call_command("migrate", verbosity=0)
    options = {"scale": 1.0, "registry_scale": 0.0, "seed": seed, "stdout": io.StringIO()}
    parser = load_command_class("fengqiao.demo", "demo").create_parser("fengqiao", "demo")
    if any(action.dest == "events_scale" for action in parser._actions):
        options["events_scale"] = 0.0
    call_command("demo", **options)


def clustered_counts(centroids: np.ndarray, seed: int) -> np.ndarray:
    """Poisson counts per grid around a few seeded centres, over a background."""
    rng = np.random.default_rng(seed)
    centres = centroids[rng.choice(len(centroids), 6, replace=False)]
    intensity = np.full(len(centroids), 0.5)
    for cx, cy in centres:
        d2 = ((centroids[:, 0] - cx) * 88.0) ** 2 + ((centroids[:, 1] - cy) * 111.0) ** 2  # km²
        intensity += 8.0 * np.exp(-d2 / (2 * 1.5**2))
    return rng.poisson(intensity).astype(float)


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="fq-bench-hotspots-"))
    os.environ.update(
        FENGQIAO_DATA_DIR=str(data_dir),
        FENGQIAO_SECRET_KEY=secrets.token_urlsafe(50),
        FENGQIAO_DEBUG="0",
        FENGQIAO_HTTPS="0",
        FENGQIAO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fengqiao.settings",
    )
    os.environ.pop("FENGQIAO_DATABASE_URL", None)
    import django

    django.setup()
    try:
        log(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; data: {data_dir}")
        seconds, _ = timed(lambda: build_city(args.seed))
        log(f"built the scale-1.0 demo city in {seconds:.1f} s")

        import esda

        from fengqiao.analytics import spatial

        spatial.reset()
        cold_lattice, lattice = timed(spatial.city_lattice)
        y = clustered_counts(lattice.centroids, args.seed)
        cold_gi, result = timed(lambda: spatial.gi_star(y, lattice.w))
        log(f"{len(lattice):,} grids, {int(y.sum()):,} events; 999 permutations, seed {spatial.SEED}")
        log(f"cold: lattice {cold_lattice:.2f} s (outlines read, queen weights built) + Gi* {cold_gi:.2f} s")

        warm = []
        for _round in range(args.rounds):
            t_lattice, again = timed(spatial.city_lattice)
            assert again is lattice, "the lattice was rebuilt although no grid changed"
            t_gi, result = timed(lambda w=again.w: spatial.gi_star(y, w))
            warm.append(t_lattice + t_gi)
        warm_median = statistics.median(warm)
        spread = f"min {min(warm):.3f}, max {max(warm):.3f}"
        log(f"warm: median {warm_median:.3f} s over {args.rounds} rounds ({spread})")

        # The baseline: the weights built on the spot from the polygons, then esda directly.
        def direct():
            w = spatial.queen_weights(lattice.geometries)
            return esda.G_Local(**spatial.esda_arguments(y, w, permutations=999, seed=spatial.SEED))

        baseline, theirs = timed(direct)
        log(f"baseline (weights built per request + esda directly): {baseline:.3f} s")
        log(f"ratio baseline / warm: {baseline / warm_median:.1f}x")

        z_diff = float(np.max(np.abs(result.z - theirs.Zs)))
        p_diff = float(np.max(np.abs(result.p - spatial.pseudo_p(theirs.Gs, theirs.rGs))))
        tied_low = int(np.sum(np.abs(result.p - theirs.p_sim) > 1e-12))
        bins = spatial.confidence_bins(result.z, result.p)
        esda_bins = spatial.confidence_bins(theirs.Zs, theirs.p_sim)
        log(
            f"check: max |z − esda z| = {z_diff:.2e}, max |p − p from esda's simulations| = {p_diff:.2e} "
            f"({'equal' if z_diff < 1e-9 and p_diff < 1e-12 else 'DIFFERENT'})"
        )
        log(
            f"hot grids {int((bins > 0).sum())} (esda's p_sim: {int((esda_bins > 0).sum())}), "
            f"cold grids {int((bins < 0).sum())} (esda's p_sim: {int((esda_bins < 0).sum())}; "
            f"{tied_low} grids' p differ where ties are counted both ways)"
        )
        verdict = "met" if warm_median <= GOAL_SECONDS else "MISSED"
        log(f"goal: warm ≤ {GOAL_SECONDS:.0f} s: {verdict}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
