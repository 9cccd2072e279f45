"""The stored result of a finished task (the tasks table's result_json): one typed record, written by the
runner and read by everything that lists a task's files or reports its status.

Rows written by older versions may lack any key added since: every field past the storage facts has a
default, and keys this version does not know are ignored.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VariantRecord(_Record):
    """One format the image (or one of its sizes) was also encoded in (format=auto)."""

    key: str  # storage key: private, never shown to a client
    format: str
    mime_type: str
    size: int
    width: int
    height: int
    quality: int | None = None
    score: float | None = None
    colour: str | None = None  # imaging.ColourPath: what became of the colour profile (older rows: None)
    settings: dict[str, Any] = Field(default_factory=dict)  # the encoder's parameters (and any fallback)


class SizeRecord(VariantRecord):
    """One resized copy of the upload (submit with `sizes`): stored like a variant, plus what was asked."""

    name: str
    box: str | None = None  # "WxH" as asked
    crop: bool = False
    variants: list[VariantRecord] = Field(default_factory=list)


class TaskResult(_Record):
    """What a task row's own columns (result key, sizes in bytes, format, dimensions) do not hold."""

    quality: int | None = None
    score: float | None = None
    colour: str | None = None  # imaging.ColourPath of the main result (older rows: None)
    settings: dict[str, Any] = Field(default_factory=dict)  # the encoder's parameters
    kept_original: bool = False
    variants: list[VariantRecord] = Field(default_factory=list)  # listed only when there was a choice
    sizes: list[SizeRecord] = Field(default_factory=list)

    def to_json(self) -> str:
        # default=str: an encoder parameter of a type JSON lacks is kept as its text, as it always was.
        return json.dumps(self.model_dump(exclude_defaults=False), default=str)

    @classmethod
    def from_json(cls, text: str | None) -> TaskResult:
        """The record of a row; an empty one for a task without a result (queued, failed, very old)."""
        return cls.model_validate_json(text) if text else cls()

    def blob_keys(self) -> set[str]:
        """The files named here: the format variants, the sizes and theirs (the main result's key is the
        row's result_key)."""
        entries: list[VariantRecord | SizeRecord] = [*self.variants, *self.sizes]
        entries += [variant for size in self.sizes for variant in size.variants]
        return {entry.key for entry in entries}

    def size(self, name: str) -> SizeRecord | None:
        return next((size for size in self.sizes if size.name == name), None)
