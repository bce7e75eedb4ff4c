"""One fault scenario of the demo: what it breaks and its promise, the whole notification
stream of the incident. Each system lists its own in `lookout/systems/<key>/scenarios.py`
(`SCENARIOS`, a tuple of `Scenario`); lookout/demo/scenarios.py gathers them.

The promise, from the causal model (docs/alerting.md): from the fault until well after it is
mended, the pager gets each alert of `pages` (critical) once and its resolution, chat each of
`chat` (warnings) once at most, in that order, and nothing else; the demo's remediation takes
`remedy` (lookout-remediate, docs/remediation.md) when one is named; once mended, nothing new.
A fault shorter than the `for` (or the age) of its first promised alert sends nothing."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    name: str
    system: str
    alert: str                       # the notification it must cause (the end-to-end test checks it)
    help: str
    # What reaches each receiver while the fault lasts, from the causal model (docs/alerting.md):
    # `pages` on the pager (critical), `chat` warnings; everything else it sets off is inhibited.
    pages: tuple[str, ...] = ()
    chat: tuple[str, ...] = ()
    target: str = ""                 # demo target (a system key) whose fault it switches on ...
    fault: str = ""
    params: dict = field(default_factory=dict)
    service: str = ""                # ... or the service it stops (a system's demo hooks name it)
    needs: str = ""                  # "docker": only where the collector runs in a container
    remedy: str = ""                 # the lookout-remediate action the demo takes in this incident

    def expectation(self) -> str:
        """What `inject` tells the person: where the first notification goes."""
        if self.alert in self.pages:
            said = f"expect {self.alert} to page"
        else:
            said = f"expect {self.alert} in chat (a warning, no page)"
        return said + (f", then the remediation {self.remedy}" if self.remedy else "")

    def promise(self) -> dict:
        return {"pages": list(self.pages), "chat": list(self.chat), "remedy": self.remedy}
