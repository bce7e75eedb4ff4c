"""`lookout demo up`: start the native stack, show where everything is, stop it all on Ctrl-C."""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from .profiles import PROFILES
from .scenarios import SCENARIOS


def say(text: str) -> None:
    print(text, flush=True)


def banner(state: dict, profile) -> str:
    u = state["urls"]
    speed = ("the rules exactly as generated, 15 s scrapes" if not profile.compressed else
             f"{profile.scrape_interval:g} s scrapes and evaluations, `for` and windows divided by "
             f"{profile.time_factor:g}")
    control = "" if u["control"].endswith(":9099") else f" --url {u['control']}"
    lines = [
        "",
        f"Lookout native demo is up (profile {profile.name}: {speed}).",
        f"  Prometheus    {u['prometheus']}/alerts",
        f"  Alertmanager  {u['alertmanager']}",
        *([f"  HA pair       Prometheus {u['prometheus_b']}, Alertmanager {u['alertmanager_b']} (one cluster)",
           f"  Heartbeat     {u['heartbeat']}/status   <- the Watchdog's dead man's switch"]
          if state.get("ha") else []),
        f"  Pages         {u['webhook']}   <- every page Alertmanager sent, newest first",
        f"  Control API   {u['control']}/api/scenarios",
        "  Grafana       not in the native demo (no Debian package); `docker compose up` has it on :3000",
        "",
        f"Inject a fault:  lookout demo inject <scenario>{control} [--for 2m]",
        f"Recover:         lookout demo recover{control}",
        "Scenarios:       " + ", ".join(SCENARIOS),
    ]
    lines += [f"Note: {n}" for n in state["notes"]]
    lines += [f"Files and logs:  {state['demo_id']}", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def up(profile_name: str = "fast", random_ports: bool = False, docker: str = "auto",
       state_file: str | None = None, ha: bool = False) -> int:
    from .native import NativeStack  # needs the repo's test harness; only the native demo imports it
    profile = PROFILES[profile_name]
    # Explicitly, SIGINT too: a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = None
    code = 0
    try:
        say(f"Starting the Lookout native demo (profile {profile.name}) ...")
        stack = NativeStack(profile, say, random_ports=random_ports, docker=docker, ha=ha)
        stack.start()
        state = stack.state()
        say(banner(state, profile))
        if state_file:  # atomically: whoever waits for it must never read half of it
            tmp = Path(state_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2))
            tmp.replace(state_file)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        say("\nStopping the demo ...")
    except Exception as exc:  # a step failed: say which, then clean up like a Ctrl-C
        say(f"\nThe demo could not start: {exc}")
        code = 1
    finally:
        # A second Ctrl-C must not leave half the stack running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
        if state_file:
            Path(state_file).unlink(missing_ok=True)
        say("Stopped: every process the demo started has exited and its temp dirs are removed.")
    return code


if __name__ == "__main__":
    sys.exit(up())
