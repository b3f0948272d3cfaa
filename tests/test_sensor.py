"""The landing sensor: which windows it requests, in what order, and what it says of late submissions."""

from __future__ import annotations

import logging.handlers

import pytest
from dagster import AssetMaterialization, DagsterInstance, SensorResult, build_sensor_context

from pbr_pipeline.sensors import (
    PAYMENT_RUNS,
    exported_windows,
    landing_sensor,
    late_arrivals,
    listed_briefly,
    materialized_windows,
    windows_to_request,
)
from pbr_pipeline.windows import window_range


def test_requests_start_after_the_latest_run_and_fill_windows_with_nothing_landed():
    runs = set(window_range("2012-04", "2012-06"))
    assert windows_to_request({"2012-05", "2012-07", "2012-09"}, runs) == ["2012-07", "2012-08", "2012-09"]


def test_requests_start_at_the_first_window_when_no_window_has_a_run():
    assert windows_to_request({"2012-06"}, set()) == ["2012-04", "2012-05", "2012-06"]


def test_no_request_when_nothing_landed_after_the_latest_run():
    assert windows_to_request({"2012-04", "2012-05"}, {"2012-04", "2012-05", "2012-06"}) == []
    assert windows_to_request(set(), set()) == []


def test_a_window_without_a_run_before_the_latest_run_is_not_requested():
    assert windows_to_request({"2012-04", "2012-07"}, {"2012-05", "2012-06"}) == ["2012-07"]


def test_late_arrivals_name_the_run_they_missed_and_the_next_run():
    fresh = {
        "2012-04": ["2012-04/OXF-AQUARIUS_2012-04_02.zip"],
        "2012-05": ["2012-05/OXF-LIFELINE_2012-05_02"],
        "2012-09": ["2012-09/OXF-LIFELINE_2012-09_01"],
    }
    assert late_arrivals(fresh, set(window_range("2012-05", "2012-08"))) == [
        # 2012-04 was never run: the first run after it is the one it missed.
        "OXF-AQUARIUS_2012-04_02.zip (2012-04) arrived after the run for 2012-05: the next window's run (2012-09) will pick it up",
        "OXF-LIFELINE_2012-05_02 (2012-05) arrived after the run for 2012-05: the next window's run (2012-09) will pick it up",
    ]
    assert late_arrivals(fresh, set()) == []


def test_a_long_list_shows_the_first_few_and_counts_the_rest():
    assert listed_briefly(["a", "b"]) == "a; b"
    assert listed_briefly(["a", "b", "c", "d", "e"]) == "a; b; c; and 2 more"


def test_windows_with_a_summary_have_a_run(tmp_path):
    for folder in ("2012-04", "2012-05", "not-a-window"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "summary.csv").write_text("s\n")
    (tmp_path / "2012-06").mkdir()  # a run that failed its checks writes no summary
    (tmp_path / "2012-06" / "statement_A.csv").write_text("a\n")
    assert exported_windows(tmp_path) == {"2012-04", "2012-05"}
    assert exported_windows(tmp_path / "absent") == set()


def test_materialized_payment_runs_have_a_run():
    instance = DagsterInstance.ephemeral()
    instance.report_runless_asset_event(AssetMaterialization(PAYMENT_RUNS, partition="2012-07"))
    # A key an instance recorded before partition keys were windows is no window of this definition.
    instance.report_runless_asset_event(AssetMaterialization(PAYMENT_RUNS, partition="2012-08-01"))
    assert materialized_windows(instance) == {"2012-07"}


@pytest.fixture
def folders(tmp_path, monkeypatch):
    landing, exports = tmp_path / "landing", tmp_path / "exports"
    landing.mkdir()
    exports.mkdir()
    monkeypatch.setenv("PBR_LANDING_DIR", str(landing))
    monkeypatch.setenv("PBR_EXPORT_DIR", str(exports))
    return landing, exports


def land(landing, name: str) -> None:
    """A submission folder under landing/<window>/: the sensor reads only its name."""
    window = name.split("_")[1]
    (landing / window / name).mkdir(parents=True)


def land_each_window(landing, first: str, last: str) -> None:
    for window in window_range(first, last):
        land(landing, f"OXF-LIFELINE_{window}_01")


def export_runs(exports, first: str, last: str) -> None:
    for window in window_range(first, last):
        (exports / window).mkdir()
        (exports / window / "summary.csv").write_text("s\n")


def tick(cursor=None, instance=None) -> SensorResult:
    return landing_sensor(build_sensor_context(instance=instance or DagsterInstance.ephemeral(), cursor=cursor))


def requested(result) -> list[tuple[str, str, str]]:
    """Each request's first and last partition and its run key."""
    return [
        (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
            request.run_key,
        )
        for request in result.run_requests
    ]


def test_switching_on_requests_only_the_windows_after_the_latest_run(folders):
    landing, exports = folders
    land_each_window(landing, "2012-04", "2012-08")
    export_runs(exports, "2012-04", "2012-06")
    result = tick()
    # one run for both windows: the models compute them together
    assert requested(result) == [("2012-07", "2012-08", "windows-2012-07..2012-08")]


def test_switching_on_with_no_run_requests_every_window_from_the_first(folders):
    landing, _ = folders
    land(landing, "OXF-LIFELINE_2012-04_01")
    land(landing, "OXF-AQUARIUS_2012-06_01")
    result = tick()
    assert requested(result) == [("2012-04", "2012-06", "windows-2012-04..2012-06")]


def test_runs_recorded_by_dagster_count_as_runs(folders):
    landing, exports = folders
    land_each_window(landing, "2012-04", "2012-07")
    export_runs(exports, "2012-04", "2012-05")
    instance = DagsterInstance.ephemeral()
    instance.report_runless_asset_event(AssetMaterialization(PAYMENT_RUNS, partition="2012-06"))
    assert requested(tick(instance=instance)) == [("2012-07", "2012-07", "windows-2012-07..2012-07")]


def test_a_late_submission_is_left_to_the_next_window_run(folders):
    landing, exports = folders
    land_each_window(landing, "2012-04", "2012-08")
    export_runs(exports, "2012-04", "2012-08")
    first = tick()
    assert first.run_requests == []
    # Switching on cannot tell which landed submissions came after their window's run.
    assert (
        first.skip_reason.skip_message
        == "no window to request: every new submission is for a window up to the latest run"
    )
    land(landing, "OXF-LIFELINE_2012-05_02")
    late = tick(first.cursor)
    assert late.run_requests == []
    assert late.skip_reason.skip_message == (
        "OXF-LIFELINE_2012-05_02 (2012-05) arrived after the run for 2012-05: "
        "the next window's run (2012-09) will pick it up"
    )
    assert tick(late.cursor).skip_reason.skip_message.startswith("no new submissions under ")


def test_a_late_submission_alongside_a_new_window_requests_only_the_new_window_and_logs_it(folders):
    landing, exports = folders
    land_each_window(landing, "2012-04", "2012-06")
    export_runs(exports, "2012-04", "2012-06")
    cursor = tick().cursor
    land(landing, "OXF-LIFELINE_2012-05_02")
    land(landing, "OXF-LIFELINE_2012-07_01")
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor)
    logged = logging.handlers.BufferingHandler(capacity=10)
    context.log.addHandler(logged)
    assert requested(landing_sensor(context)) == [("2012-07", "2012-07", "windows-2012-07..2012-07")]
    assert [record.getMessage() for record in logged.buffer] == [
        "OXF-LIFELINE_2012-05_02 (2012-05) arrived after the run for 2012-05: "
        "the next window's run (2012-07) will pick it up"
    ]


def test_a_second_tick_with_nothing_new_requests_nothing(folders):
    landing, _ = folders
    land_each_window(landing, "2012-04", "2012-05")
    first = tick()
    assert len(first.run_requests) == 1
    second = tick(first.cursor)
    assert second.run_requests == []
    assert second.skip_reason.skip_message.startswith("no new submissions under ")


def test_a_range_keeps_its_run_key_when_asked_for_again(folders):
    landing, _ = folders
    land(landing, "OXF-LIFELINE_2012-04_01")
    first = tick()
    assert requested(first) == [("2012-04", "2012-04", "windows-2012-04..2012-04")]
    land(landing, "OXF-LIFELINE_2012-05_01")
    # Before the first run is recorded, the next tick asks for the longer range (a new run
    # key; re-running 2012-04 with it is allowed and gives the same results).
    assert requested(tick(first.cursor)) == [("2012-04", "2012-05", "windows-2012-04..2012-05")]
    # Dagster launches a sensor's run key once: the same range asked again is not run twice.
    again = tick()
    assert [request.run_key for request in again.run_requests] == ["windows-2012-04..2012-05"]
