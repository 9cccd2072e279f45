"""The public view of a task, as GET /status (and submit?wait=) answer it: the HTTP contract of a task.

Keys that only some tasks have (a finished task's result, a failed one's error, the variants and sizes
when there are any) are left out of the answer, not sent as null: build these models with only the
fields that apply and serialize them with exclude_unset (the routes do, via response_model_exclude_unset).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel

TaskStateName = Literal["queued", "processing", "done", "failed"]
# What became of the upload's colour profile in an output (imaging.ColourPath; README "Colour"):
# untagged upload; profile kept (or as a compact profile of the same colours); an sRGB profile dropped
# (untagged means sRGB; PNG gets an sRGB chunk); pixels converted to sRGB (keep_metadata=none, CMYK).
ColourPathName = Literal[
    "untagged", "profile_kept", "compact_profile", "srgb_profile_dropped", "converted_to_srgb"
]


def colour_path_name(stored: str | None) -> ColourPathName | None:
    """A stored colour path as the view names it (None for older rows, or a value this version lacks)."""
    for name in get_args(ColourPathName):
        if name == stored:
            return name
    return None


class VariantView(BaseModel):
    format: str
    mime_type: str
    size: int
    width: int
    height: int
    quality: int | None
    score: float | None
    download_url: str
    colour: ColourPathName | None = None  # None: a task finished before colour paths were recorded
    # The encoder's parameters; "fallback": "original" or "plain" when the optimized file would have
    # been larger (imaging/steps/never_bigger.py), "hdr_gain_map" for gain-map JPEGs
    # (imaging/steps/gain_map.py).
    encoder_settings: dict[str, Any] | None = None


class SizeView(BaseModel):
    name: str
    box: str | None
    crop: bool
    width: int
    height: int
    format: str
    mime_type: str
    size: int
    quality: int | None
    score: float | None
    download_url: str
    colour: ColourPathName | None = None
    encoder_settings: dict[str, Any] | None = None  # as VariantView's
    variants: list[VariantView] | None = None  # only with format=auto


class TaskFailure(BaseModel):
    code: str | None
    message: str | None
    # Whether the upload's charge was kept: false (refunded) for every failure but a file that could not
    # be decoded past the token's free failures of the period (quota/failure_charges.py).
    charged: bool | None = None


class TaskStatus(BaseModel):
    task_id: str
    status: TaskStateName
    original_filename: str
    original_size: int
    input_format: str
    created_at: str | None
    expires_at: str | None
    # A finished task's result:
    optimized_size: int | None = None
    savings_bytes: int | None = None
    savings_percent: float | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mime_type: str | None = None
    download_url: str | None = None
    quality: int | None = None
    score: float | None = None
    colour: ColourPathName | None = None  # what became of the colour profile (see ColourPathName)
    encoder_settings: dict[str, Any] | None = None
    finished_at: str | None = None
    variants: list[VariantView] | None = None  # only with format=auto
    sizes: list[SizeView] | None = None  # only for a submit with `sizes`
    # A failed task's error:
    error: TaskFailure | None = None

    def public(self) -> dict[str, Any]:
        """As a client receives it (absent keys left out)."""
        return self.model_dump(mode="json", exclude_unset=True)
