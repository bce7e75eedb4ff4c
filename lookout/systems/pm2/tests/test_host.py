"""The host collector's /proc/meminfo reading against psutil, the reference it replaces on Linux
(issue 24): psutil pointed at the same file (psutil.PROCFS_PATH) must give the same three numbers."""
from __future__ import annotations

import psutil
import pytest

from lookout.exporters.runtime import CollectError, Deadline, MetricSet
from lookout.systems.pm2.exporter import host

# A Mac Mini-like starved host: 8 GB, 90 MB available, swap in use (runbook 003's "< 100 MB").
MEMINFO = """MemTotal:        8029192 kB
MemFree:           61440 kB
MemAvailable:      92160 kB
Buffers:            2048 kB
Cached:            40960 kB
SwapCached:         1024 kB
Active:          6000000 kB
Inactive:        1500000 kB
SwapTotal:       2097148 kB
SwapFree:         524288 kB
Shmem:              4096 kB
SReclaimable:       8192 kB
"""


@pytest.fixture
def procfs(tmp_path, monkeypatch):
    (tmp_path / "meminfo").write_text(MEMINFO)
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(tmp_path))
    monkeypatch.setattr(host, "MEMINFO", str(tmp_path / "meminfo"))
    return tmp_path


@pytest.mark.filterwarnings("ignore:.sin. and .sout.:RuntimeWarning")  # no vmstat in the fake procfs
def test_the_three_figures_are_psutils(procfs):
    mem, swap = psutil.virtual_memory(), psutil.swap_memory()
    assert host.meminfo(str(procfs / "meminfo")) == (mem.available, mem.total, swap.used)


def test_the_collector_writes_them(procfs):
    out = MetricSet("pm2")
    host.HostCollector("linux").collect(out, Deadline(1))
    values = {s.name: s.value for family in out.families() for s in family.samples}
    assert values == {"pm2_host_memory_available_bytes": 92160 * 1024, "pm2_host_memory_total_bytes": 8029192 * 1024,
                      "pm2_host_swap_used_bytes": (2097148 - 524288) * 1024}


def test_a_meminfo_without_memavailable_fails_as_parse(procfs):
    (procfs / "meminfo").write_text(MEMINFO.replace("MemAvailable:      92160 kB\n", ""))
    with pytest.raises(CollectError) as err:
        host.HostCollector("linux").collect(MetricSet("pm2"), Deadline(1))
    assert err.value.reason == "parse"
