"""The stored result record: written whole by the runner, read back from rows of any age."""

from __future__ import annotations

import json

from pixpress.tasks.result import SizeRecord, TaskResult, VariantRecord
from tests.tasks.factories import size_record, variant_record


def test_a_record_survives_its_round_trip_through_result_json() -> None:
    record = TaskResult(
        quality=80,
        score=71.5,
        settings={"Q": 80, "subsample_mode": object()},  # a parameter JSON lacks is kept as text
        kept_original=False,
        variants=[VariantRecord.model_validate(variant_record(key="r/v.webp", format="webp"))],
        sizes=[SizeRecord.model_validate(size_record(name="thumb", key="r/s.jpg"))],
    )
    again = TaskResult.from_json(record.to_json())
    assert again.variants == record.variants and again.sizes == record.sizes
    assert again.settings["Q"] == 80 and isinstance(again.settings["subsample_mode"], str)
    assert again.blob_keys() == {"r/v.webp", "r/s.jpg"}
    assert again.size("thumb") == record.sizes[0] and again.size("large") is None


def test_rows_written_before_sizes_and_with_unknown_keys_still_read() -> None:
    older = {"quality": 82, "settings": {"Q": 82}, "variants": [], "from_the_future": True}
    record = TaskResult.from_json(json.dumps(older))
    assert (record.quality, record.score, record.sizes, record.kept_original) == (82, None, [], False)
    assert TaskResult.from_json(None) == TaskResult() == TaskResult.from_json("")
