"""Part 1: in-process service time per patient size, against the JSON decode floor.

Subject: what the hook route does with a request body, without HTTP: decode and validate
the request (`parse_hook_request`), the hook handler (prefetch decisions, look-back,
mapping, rules, cards) and the encoding of the response, with `cds.jsonio` (orjson) as the
route does. Floors: decoding the same body with the standard library's `json.loads` (the
least any Python service must do with the request) and with orjson (what we decode with).
Floor and subject samples alternate, all sizes in every round, so the ratios and the
10,000 / 2,000 growth are measured under the same load.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from common import Section, Target, fmt, interleave, median, ms, percentile

BASE_URL = "http://127.0.0.1:8080/"
# pairs of (floor, subject) per size and round: more for small sizes, same time per round
PAIRS_PER_ROUND = {100: 20, 1000: 4, 2000: 3, 10000: 1}


def service_call() -> tuple[Callable[[bytes], bytes], Any]:
    """The route's work on a body (decode, handler, encode), on an app built as in production."""
    from cds import jsonio  # noqa: PLC0415 - after common has set sys.path
    from cds.config import Config  # noqa: PLC0415
    from cds.web.app import create_app  # noqa: PLC0415
    from cds.web.request_model import parse_hook_request  # noqa: PLC0415

    app = create_app(Config(auth=False, log_level="WARNING"))
    gc.freeze()  # as the gunicorn master does after preloading the app (when_ready)
    service = app.extensions["ln_cds"]["registry"].get("lupus-nephritis")

    def serve(body: bytes) -> bytes:
        request = parse_hook_request(body, expected_hook=service.hook)
        cards = service.handler(request, BASE_URL)
        return jsonio.dumps({"cards": cards})  # as cds/web/routes.py encodes the answer

    return serve, app


def check_answer(serve: Callable[[bytes], bytes], body: bytes) -> str:
    """One card, valid against our CDS Hooks schema; returns its indicator."""
    from cds.schema import validate_response  # noqa: PLC0415

    answer = json.loads(serve(body))
    validate_response(answer)
    if len(answer["cards"]) != 1:
        raise SystemExit(f"expected one card, got {len(answer['cards'])}")
    indicator: str = answer["cards"][0]["indicator"]
    return indicator


def run(hooks: dict[int, Path], rounds: int) -> Section:
    serve, _app = service_call()
    bodies = {size: path.read_bytes() for size, path in sorted(hooks.items())}
    indicators = {size: check_answer(serve, body) for size, body in bodies.items()}

    pairs: list[tuple[str, Callable[[], object]]] = []
    for size, body in bodies.items():
        for _ in range(PAIRS_PER_ROUND.get(size, 1)):
            pairs.append((f"floor-{size}", lambda b=body: json.loads(b)))
            pairs.append((f"serve-{size}", lambda b=body: serve(b)))
            pairs.append((f"orjson-{size}", lambda b=body: orjson.loads(b)))
    gc.collect()
    interleave(pairs, 2, time.perf_counter)  # warm-up
    samples = interleave(pairs, rounds, time.perf_counter)

    section = Section("1. In-process: request body → cards")
    section.lines += [
        "Subject: `parse_hook_request` (decode + validate) → hook handler (prefetch decisions,",
        "look-back, mapping, rules, cards) → encoding of the response, decoding and encoding",
        "with orjson as the route does, on an app built by `create_app` (auth off, log level",
        "WARNING; start-up objects frozen out of the garbage collector, as the gunicorn master",
        "does). Floors: the standard library's `json.loads` of the same body, and orjson's,",
        f"same process. {rounds} rounds; every round alternates floors and subject per size.",
        "",
        "| Observations | body | samples | stdlib floor median | orjson floor median | "
        "service median | service p95 | service / stdlib floor | service / orjson floor | card |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    figures: dict[int, dict[str, float]] = {}
    for size, body in bodies.items():
        floor = samples[f"floor-{size}"]
        served = samples[f"serve-{size}"]
        fast_floor = samples[f"orjson-{size}"]
        fig = {
            "floor_median": median(floor),
            "floor_p95": percentile(floor, 95),
            "orjson_floor_median": median(fast_floor),
            "serve_median": median(served),
            "serve_p95": percentile(served, 95),
        }
        fig["ratio"] = fig["serve_median"] / fig["floor_median"]
        fig["orjson_ratio"] = fig["serve_median"] / fig["orjson_floor_median"]
        figures[size] = fig
        section.lines.append(
            f"| {size:,} | {len(body) / 1e6:.2f} MB | {len(served)} | "
            f"{ms(fig['floor_median'])} ms | {ms(fig['orjson_floor_median'])} ms | "
            f"{ms(fig['serve_median'])} ms | {ms(fig['serve_p95'])} ms | "
            f"{fmt(fig['ratio'])} | {fmt(fig['orjson_ratio'])} | {indicators[size]} |"
        )
    section.data["figures"] = figures
    if 2000 in figures:
        section.targets.append(
            Target(
                "2,000 Obs: service time / stdlib decode floor (medians)",
                figures[2000]["ratio"],
                2.0,
            )
        )
        section.targets.append(
            Target(
                "2,000 Obs: service time / orjson decode floor (medians; we decode with orjson)",
                figures[2000]["orjson_ratio"],
                2.0,
            )
        )
    if 2000 in figures and 10000 in figures:
        growth = figures[10000]["serve_median"] / figures[2000]["serve_median"]
        floor_growth = figures[10000]["floor_median"] / figures[2000]["floor_median"]
        section.targets.append(
            Target(
                "10,000 Obs service time / 2,000 Obs service time (medians)",
                growth,
                6.0,
                note=f"the decode floor itself grows {fmt(floor_growth)}× for 5× the data",
            )
        )
    return section
