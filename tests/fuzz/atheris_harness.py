"""Coverage-guided fuzzing with atheris (libFuzzer), over the same entry points as the Hypothesis
campaign: `python -m tests.fuzz.atheris_harness CORPUS_DIR [libFuzzer flags]` (make fuzz-atheris).

pixpress's Python code is instrumented, so libFuzzer steers towards new paths in sniff, the structure
and JPEG segment parsers, the ICC reader and the pipeline's branches; libvips itself is a prebuilt
library and is only run, not instrumented. The first byte picks the options, the rest is the upload.
An exception other than PixpressError, a crash or a case past libFuzzer's -timeout is a finding, saved
by libFuzzer as crash-*/timeout-* in the working directory (replay: the same command with the file).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import atheris  # type: ignore[import-not-found, unused-ignore]

with atheris.instrument_imports(include=["pixpress"]):
    from pixpress import imaging
    from pixpress.errors import PixpressError
    from pixpress.imaging import ImageFormat, KeepMetadata, Mode, OptimizeOptions, OutputFormat, SizeSpec
    from pixpress.imaging import pipeline as _pipeline  # noqa: F401  the lazily imported encoding side
    from pixpress.imaging import sizes as _sizes  # noqa: F401

from tests.fuzz.campaign import DEADLINE_S
from tests.fuzz.target import LIMITS

OPTIONS = (
    OptimizeOptions(),
    OptimizeOptions(mode=Mode.LOSSLESS),
    OptimizeOptions(mode=Mode.GLOSSY, keep_metadata=KeepMetadata.NONE),
    OptimizeOptions(keep_metadata=KeepMetadata.ALL, max_width=16),
    OptimizeOptions(format=OutputFormat.AUTO, accept=frozenset(ImageFormat)),
    OptimizeOptions(format=OutputFormat.PNG, mode=Mode.LOSSLESS),
    OptimizeOptions(format=OutputFormat.WEBP, sizes=(SizeSpec("t", 8, 8, crop=True),)),
    OptimizeOptions(format=OutputFormat.AVIF, quality=40),
)


def one_input(raw: bytes) -> None:
    if not raw:
        return
    options, data = OPTIONS[raw[0] % len(OPTIONS)], raw[1:]
    try:
        imaging.sniff(data)
        imaging.probe(data, limits=LIMITS)
        imaging.optimize_with_sizes(
            data, options=options, limits=LIMITS, deadline=time.monotonic() + DEADLINE_S
        )
    except PixpressError:
        pass  # the contract: typed errors only


def write_seed_corpus(folder: Path) -> None:
    """The Hypothesis campaign's seed files, each behind an options byte of 0."""
    from tests.fuzz.seeds import seeds  # the corpus images: only needed to start a corpus

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (folder / f"seed-{name}").write_bytes(b"\x00" + data)


if __name__ == "__main__":
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus is not None and (not corpus.exists() or corpus.is_dir()):
        write_seed_corpus(corpus)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
