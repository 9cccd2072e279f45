import json
from pathlib import Path

import pytest
import pyvips

from pixpress.config import Settings
from pixpress.db.models import Task
from pixpress.db.session import Database
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.service import TaskService, task_status
from pixpress.tasks.states import TaskState
from tests import hostile
from tests.tasks.factories import new_task


@pytest.fixture
def runner(database: Database, settings: Settings) -> tuple[TaskRunner, list[tuple[str, str]]]:
    refunds: list[tuple[str, str]] = []
    runner = TaskRunner(
        settings=settings,
        records=TaskRecords(database),
        storage=MemoryStorage(),
        settle_failure=lambda task, reason, _session: refunds.append((task.id, reason)),
    )
    return runner, refunds


def queue(runner: TaskRunner, data: bytes, *, options: dict[str, object] | None = None) -> Task:
    task = new_task()
    task.options_json = json.dumps(options or {})
    task.original_size = task.charged_bytes = len(data)
    runner.records.insert(task)
    runner.storage.put(task.input_key, data)
    return task


def test_a_task_runs_to_done_and_its_input_is_released(runner, corpus: Path) -> None:
    run, refunds = runner
    data = (corpus / "photo" / "kodim03.png").read_bytes()
    task = queue(run, data)
    run.run(task.id)
    done = run.records.get(task.id)
    assert done is not None and done.status == TaskState.DONE
    assert done.optimized_size is not None and done.optimized_size < len(data)
    assert done.result_key and run.storage.get(done.result_key)
    assert not run.storage.exists(task.input_key)
    assert refunds == []


def test_running_twice_does_the_work_once(runner, corpus: Path) -> None:
    run, _ = runner
    task = queue(run, (corpus / "graphic" / "logo.png").read_bytes())
    run.run(task.id)
    first = run.records.get(task.id)
    run.run(task.id)
    second = run.records.get(task.id)
    assert first is not None and second is not None
    assert second.attempts == first.attempts == 1 and second.result_key == first.result_key


def test_a_broken_image_fails_refunded(runner, corpus: Path) -> None:
    run, refunds = runner
    task = queue(run, hostile.cut_before_rows((corpus / "photo" / "rocket.jpg").read_bytes()))
    run.run(task.id)
    failed = run.records.get(task.id)
    assert failed is not None and failed.status == TaskState.FAILED
    assert failed.error_code == "invalid_image"
    assert refunds == [(task.id, "invalid_image")]  # no result, no charge; the failure limit bounds abuse


def test_numpy_out_of_memory_fails_the_task_as_too_large(runner, corpus: Path, monkeypatch) -> None:
    run, refunds = runner

    def out_of_memory(*_: object, **__: object) -> None:
        raise MemoryError  # what NumPy raises under the worker's memory cap (tests/tasks/test_limits.py)

    monkeypatch.setattr("pixpress.imaging.sizes.optimize_with_sizes", out_of_memory)
    task = queue(run, (corpus / "photo" / "kodim03.png").read_bytes())
    run.run(task.id)
    failed = run.records.get(task.id)
    assert failed is not None and failed.error_code == "image_too_large"
    assert refunds == [(task.id, "image_too_large")]


def test_a_task_past_its_time_limit_fails_refunded(runner, corpus: Path) -> None:
    run, refunds = runner
    run.settings.task_time_limit_s = 0.0
    task = queue(run, (corpus / "photo" / "kodim04.png").read_bytes(), options={"format": "avif"})
    run.run(task.id)
    failed = run.records.get(task.id)
    assert failed is not None and failed.error_code == "task_timeout"
    assert refunds == [(task.id, "task_timeout")]


def test_each_size_asked_adds_its_allowance_to_the_time_limit(runner, corpus: Path) -> None:
    """An upload with its sizes is several images' work: with no time for the upload alone, the sizes'
    allowance is what lets it finish; without that allowance it times out."""
    run, refunds = runner
    data = (corpus / "photo" / "kodim04.png").read_bytes()
    options = {"format": "jpeg", "sizes": "thumbnail:150x150:crop,medium:300x300"}
    run.settings.task_time_limit_s = 0.0
    run.settings.task_time_limit_per_size_s = 0.0
    timed_out = queue(run, data, options=options)
    run.run(timed_out.id)
    assert (run.records.get(timed_out.id) or timed_out).error_code == "task_timeout"

    run.settings.task_time_limit_per_size_s = 60.0
    done = queue(run, data, options=options)
    assert run._time_limit_s(run.records.get(done.id)) == 120.0
    run.run(done.id)
    finished = run.records.get(done.id)
    assert finished is not None and finished.status == TaskState.DONE
    assert refunds == [(timed_out.id, "task_timeout")]


def test_format_auto_lists_every_variant(runner, corpus: Path) -> None:
    run, _ = runner
    task = queue(
        run, (corpus / "photo" / "kodim05.png").read_bytes(), options={"format": "auto", "accept": ["webp"]}
    )
    run.run(task.id)
    done = run.records.get(task.id)
    assert done is not None and done.status == TaskState.DONE, done.error_message if done else None
    variants = json.loads(done.result_json or "{}")["variants"]
    assert {v["format"] for v in variants} >= {"png", "webp"}
    for variant in variants:
        assert run.storage.exists(variant["key"])


def test_sizes_are_stored_listed_downloadable_and_deleted_with_the_task(runner, corpus: Path) -> None:
    run, refunds = runner
    data = (corpus / "photo" / "rocket.jpg").read_bytes()
    task = queue(run, data, options={"sizes": "thumbnail:150x150:crop,medium:300x300"})
    run.run(task.id)
    done = run.records.get(task.id)
    assert done is not None and done.status == TaskState.DONE, done.error_message if done else None
    stored = json.loads(done.result_json or "{}")["sizes"]
    assert [s["name"] for s in stored] == ["thumbnail", "medium"]
    assert len({s["key"] for s in stored} | {done.result_key}) == 3  # a file of its own each
    service = TaskService(settings=run.settings, records=run.records, storage=run.storage, enqueue=print)
    status = task_status(done, base_url="http://x").public()
    assert [(s["name"], s["width"], s["height"], s["crop"]) for s in status["sizes"]] == [
        ("thumbnail", 150, 150, True),
        ("medium", 300, 200, False),
    ]
    for size in status["sizes"]:
        assert "key" not in size  # storage keys stay private
        assert size["download_url"] == f"http://x/api/optimize/download/{task.id}?size={size['name']}"
        got = service.download(task.id, token_hash=task.token_hash, size=size["name"])
        body = b"".join(got.content)
        assert len(body) == size["size"] and got.mime_type == "image/jpeg" == size["mime_type"]
        assert got.filename == f"photo-{size['name']}.jpg"
    assert refunds == []
    service.delete(task.id, token_hash=task.token_hash)
    assert run.records.get(task.id) is None
    assert not any(run.storage.exists(s["key"]) for s in stored)
    assert not run.storage.exists(done.result_key or "")


def test_a_stale_attempt_leaves_no_size_behind(runner, corpus: Path, monkeypatch) -> None:
    run, _ = runner
    task = queue(run, (corpus / "photo" / "kodim03.png").read_bytes(), options={"sizes": "small:100x100"})
    monkeypatch.setattr(run.records, "complete", lambda claim, **values: False)  # another attempt won
    run.run(task.id)
    assert sorted(run.storage._blobs) == [task.input_key]  # the upload stays for the winning attempt


def test_format_auto_with_sizes_keeps_every_format_of_every_size(runner, corpus: Path) -> None:
    run, refunds = runner
    data = (corpus / "photo" / "rocket.jpg").read_bytes()  # 640x427
    options = {"format": "auto", "accept": ["webp", "avif"], "sizes": "thumbnail:150x150:crop,medium:300x300"}
    task = queue(run, data, options=options)
    run.run(task.id)
    done = run.records.get(task.id)
    assert done is not None and done.status == TaskState.DONE, done.error_message if done else None
    stored = json.loads(done.result_json or "{}")["sizes"]
    service = TaskService(settings=run.settings, records=run.records, storage=run.storage, enqueue=print)
    status = task_status(done, base_url="http://x").public()
    expected = {"thumbnail": (150, 150), "medium": (300, 200)}
    for size, kept in zip(status["sizes"], stored, strict=True):
        name = size["name"]
        # A variant larger than the plain JPEG resize is dropped, and the size's settings say so.
        dropped = [d["format"] for d in size["encoder_settings"].get("dropped", [])]
        assert sorted([*(v["format"] for v in size["variants"]), *dropped]) == ["avif", "jpeg", "webp"]
        # The size's own file is its smallest variant, stored once (the variant points at it).
        chosen = min(size["variants"], key=lambda v: v["size"])
        assert (size["format"], size["size"]) == (chosen["format"], chosen["size"])
        assert next(v["key"] for v in kept["variants"] if v["format"] == size["format"]) == kept["key"]
        assert len({v["key"] for v in kept["variants"]}) == len(size["variants"])
        for variant in size["variants"]:
            assert "key" not in variant
            assert variant["download_url"] == (
                f"http://x/api/optimize/download/{task.id}?size={name}&variant={variant['format']}"
            )
            assert (variant["width"], variant["height"]) == expected[name]
            got = service.download(task.id, token_hash=task.token_hash, size=name, variant=variant["format"])
            body = b"".join(got.content)
            assert len(body) == variant["size"] and got.mime_type == variant["mime_type"]
            image = pyvips.Image.new_from_buffer(body, "")
            assert (image.width, image.height) == expected[name]
            assert image.get("vips-loader").startswith(
                {"jpeg": "jpeg", "webp": "webp", "avif": "heif"}[variant["format"]]
            )
    keys = {done.result_key, *(v["key"] for s in stored for v in s["variants"])}
    keys |= {v["key"] for v in json.loads(done.result_json or "{}")["variants"]}
    assert set(run.storage._blobs) == keys  # every file, and only those (the upload released)
    assert refunds == []
    service.delete(task.id, token_hash=task.token_hash)
    assert not run.storage._blobs


def test_a_stale_attempt_leaves_no_size_variant_behind(runner, corpus: Path, monkeypatch) -> None:
    run, _ = runner
    options = {"format": "auto", "accept": ["webp"], "sizes": "small:100x100"}
    task = queue(run, (corpus / "photo" / "rocket.jpg").read_bytes(), options=options)
    monkeypatch.setattr(run.records, "complete", lambda claim, **values: False)  # another attempt won
    run.run(task.id)
    assert sorted(run.storage._blobs) == [task.input_key]


def test_the_status_says_which_colour_path_each_output_took(runner, corpus: Path) -> None:
    """Per output: the Adobe RGB photo's profile kept, chelsea's sRGB profile dropped, the Adobe RGB
    photo converted with keep_metadata=none; old rows (no colour recorded) leave it out."""
    run, _ = runner
    cases = [
        (
            "rocket.jpg",
            {"format": "auto", "accept": ["webp"], "sizes": "thumbnail:150x150:crop"},
            "profile_kept",
        ),
        (
            "chelsea.png",
            {"format": "auto", "accept": ["webp"], "sizes": "thumbnail:150x150:crop"},
            "srgb_profile_dropped",
        ),
        ("rocket.jpg", {"keep_metadata": "none", "sizes": "thumbnail:150x150:crop"}, "converted_to_srgb"),
        ("kodim03.png", {"sizes": "thumbnail:150x150:crop"}, "untagged"),
    ]
    for name, options, expected in cases:
        task = queue(run, (corpus / "photo" / name).read_bytes(), options=options)
        run.run(task.id)
        done = run.records.get(task.id)
        assert done is not None and done.status == TaskState.DONE
        status = task_status(done, base_url="http://x").public()
        colours = [status["colour"], *(s["colour"] for s in status["sizes"])]
        colours += [v["colour"] for v in status.get("variants", [])]
        colours += [v["colour"] for s in status["sizes"] for v in s.get("variants", [])]
        assert set(colours) == {expected}, (name, options, colours)
    old = new_task()
    old.status, old.optimized_size = TaskState.DONE.value, 10
    old.result_json = '{"quality": 80, "score": 71.0, "variants": []}'
    assert "colour" not in task_status(old, base_url="http://x").public()
