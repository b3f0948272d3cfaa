"""The monitor's report (spec/monitoring.md; spec/outputs.md, `monitor.html`) and the journeys
behind its numbers (`pbr monitor`), read from marts.monitor_indicators and marts.monitor_cases."""


class MonitorError(Exception):
    """What `pbr monitor` cannot list, said in one line."""
