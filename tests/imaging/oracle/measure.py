"""The done rate on the damaged corpus: every file through Chromium and through optimize().

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m tests.imaging.oracle.measure [--every N] [--jsonl PATH]

For each file: Chromium's verdict (shown or not), pixpress's (probe then optimize(): done or the error
code), and for a file done, how close Chromium's rendering of the output is to its rendering of the
upload (PSNR, tests/imaging/oracle/compare.py). Prints the counts by damage kind.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

from pixpress.errors import PixpressError
from pixpress.imaging import ImageFormat, Limits, encode, optimize, parse_options, pipeline
from pixpress.imaging.context import Context
from pixpress.imaging.deadline import Deadline
from tests.imaging.oracle import compare, damaged_corpus
from tests.imaging.oracle.chromium import ChromiumOracle

# A lossy WebP at the default target stays above 30 dB here; a row shown that Chromium leaves
# transparent (or the reverse) costs far more.
MIN_PSNR_DB = 28.0


@dataclass(frozen=True)
class Verdict:
    name: str
    kind: str
    shown: bool
    outcome: str  # "done" or the error code
    psnr_db: float | None = None  # output against upload, both as Chromium shows them
    output_format: str | None = None
    chromium: str = ""  # Chromium's reason when not shown

    @property
    def matches(self) -> bool:
        return self.outcome == "done" and self.psnr_db is not None and self.psnr_db >= MIN_PSNR_DB


# The site's default (format=original) decides done or refused; the pixels are compared on a WebP
# made from the same decode, so a result that is the upload itself (nothing smaller came out) does not
# hide what pixpress decoded.
OPTIONS = parse_options({})
PIXELS_OPTIONS = parse_options({"format": "webp"})


def decoded_as_webp(data: bytes) -> bytes:
    """pixpress's decode of `data` (the pipeline's steps up to the encoders) as a lossless WebP, for
    Chromium to draw: the pixels pixpress works from. (An optimize() with format=webp may return another
    format: never bigger than a plain save in the upload's own.)"""
    ctx = Context(data=data, options=PIXELS_OPTIONS, limits=Limits(), deadline=Deadline(None))
    for _name, step in pipeline.STEPS:
        step(ctx)
    return encode(ctx.pixels, ImageFormat.WEBP, None)


def judge(oracle: ChromiumOracle, name: str, data: bytes) -> Verdict:
    shown = oracle.render(data)
    kind = damaged_corpus.kind_of(name)
    try:
        result = optimize(data, options=OPTIONS, limits=Limits())
        converted = decoded_as_webp(data) if shown.shown else b""
    except PixpressError as exc:
        return Verdict(name, kind, shown.shown, exc.code, chromium=shown.reason)
    except Exception as exc:  # an untyped error is a finding, reported as such
        return Verdict(name, kind, shown.shown, f"untyped:{type(exc).__name__}", chromium=shown.reason)
    psnr = None
    if shown.pixels is not None:
        output = oracle.render(converted)
        psnr = compare.psnr_db(shown.pixels, output.pixels) if output.pixels is not None else 0.0
    return Verdict(name, kind, shown.shown, "done", psnr, result.image.format.value, shown.reason)


def report(verdicts: list[Verdict]) -> str:
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for verdict in verdicts:
        for kind in (verdict.kind, "all"):
            row = rows[kind]
            row["files"] += 1
            if verdict.shown:
                row["shown"] += 1
                row["shown_done" if verdict.outcome == "done" else "shown_refused"] += 1
                row["shown_match"] += verdict.matches
            else:
                row["hidden_done" if verdict.outcome == "done" else "hidden_refused"] += 1
            row["untyped"] += verdict.outcome.startswith(("untyped", "internal"))
    head = (
        "| damage | files | Chromium shows | done | pixels match | refused "
        "| not shown: refused / done | untyped |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for kind in sorted(rows, key=lambda k: (k == "all", k)):
        r = rows[kind]
        lines.append(
            f"| {kind} | {r['files']} | {r['shown']} | {r['shown_done']} | {r['shown_match']} | "
            f"{r['shown_refused']} | {r['hidden_refused']} / {r['hidden_done']} | {r['untyped']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=1, help="every Nth file only")
    parser.add_argument("--jsonl", default="", help="write one verdict a line here")
    args = parser.parse_args()
    files = list(damaged_corpus.generate().items())[:: args.every]
    with ChromiumOracle() as oracle:
        verdicts = [judge(oracle, name, data) for name, data in files]
    if args.jsonl:
        with open(args.jsonl, "w") as out:
            for verdict in verdicts:
                out.write(json.dumps(asdict(verdict)) + "\n")
    print(report(verdicts))


if __name__ == "__main__":
    main()
