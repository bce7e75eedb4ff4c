"""The processes collector's families, in-process from process lists shaped like PM2's
getMonitorData reply (lib/God/ActionMethods.js: name, pm_id, pm2_env, monit)."""
from lookout.exporters.runtime import Deadline, MetricSet
from lookout.systems.pm2.exporter.processes import ProcessesCollector


class Listed:
    """FAKE source: hands the collector a fixed process list (no daemon involved)."""

    def __init__(self, procs):
        self.procs = procs

    def read(self, deadline):
        return [dict(p) for p in self.procs]


def families(procs) -> list[str]:
    out = MetricSet("pm2")
    ProcessesCollector(Listed(procs), 64).collect(out, Deadline(5))
    return [fam.name for fam in out.rows()]


BARE = {"name": "bare", "pm_id": 0, "pm2_env": {"status": "stopped"}, "monit": {"memory": 0, "cpu": 0}}
FULL = {"name": "full", "pm_id": 1, "monit": {"memory": 1024, "cpu": 3},
        "pm2_env": {"status": "online", "restart_time": 2, "unstable_restarts": 0, "pm_uptime": 1796592201072,
                    "max_memory_restart": 209715200,
                    "axm_monitor": {"Heap Size": {"type": "internal/v8/heap/total", "value": "6.23", "unit": "MiB"},
                                    "Event Loop Latency": {"type": "internal/libuv/latency/p50", "value": "0.50",
                                                           "unit": "ms"}}}}


def test_a_family_appears_where_its_first_sample_did():
    """Families in the order of their first sample: those of the first process, then those only
    a later process has; whatever the collector batches, the exposition's family order is what
    one sample at a time in list order gives."""
    alone = {name: families([proc]) for name, proc in (("bare", BARE), ("full", FULL))}
    assert families([BARE, FULL]) == alone["bare"] + [f for f in alone["full"] if f not in alone["bare"]]
    # The list is read in pm_id order: with the full process first, the bare one adds nothing.
    assert families([{**FULL, "pm_id": 0}, {**BARE, "pm_id": 1}]) == alone["full"]
    assert "pm2_process_restarts" in alone["full"] and "pm2_process_restarts" not in alone["bare"]


def test_an_axm_entry_whose_type_is_no_string_is_read_by_its_display_name():
    """@pm2/io names its metrics' stable ids with strings ("internal/v8/heap/total", see
    processes._AXM); an entry whose `type` is anything else, here a list, has no id. It is
    found by its display name, the collector does not fail, and the other entries are read by
    their ids as before."""
    env = {**FULL["pm2_env"], "axm_monitor": {
        "Heap Size": {"type": ["internal/v8/heap/total"], "value": "6", "unit": "MiB"},
        "handles, renamed": {"type": "internal/libuv/handles", "value": 3}}}
    out = MetricSet("pm2")
    ProcessesCollector(Listed([{**FULL, "pm2_env": env}]), 64).collect(out, Deadline(5))
    rows = {fam.name: fam.rows for fam in out.rows()}
    assert rows["pm2_process_heap_total_bytes"] == [(("full", "1"), 6 * 1024 * 1024)]
    assert rows["pm2_process_active_handles"] == [(("full", "1"), 3)]
