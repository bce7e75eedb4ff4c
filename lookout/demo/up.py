"""`lookout demo up`: start the native stack, show where everything is, stop it all on Ctrl-C."""
from __future__ import annotations

import json
import shutil
import signal
import sys
import time
from pathlib import Path

from . import lines
from .profiles import PROFILES
from .scenarios import SCENARIOS


def say(text: str) -> None:
    print(text, flush=True)


def banner(state: dict, profile, keep: bool = False) -> str:
    u = state["urls"]
    speed = ("the rules exactly as generated, 15 s scrapes" if not profile.compressed else
             f"{profile.scrape_interval:g} s scrapes and evaluations, `for` and windows divided by "
             f"{profile.time_factor:g}")
    control = "" if u["control"].endswith(":9099") else f" --url {u['control']}"
    cli = lines.lookout_command()
    alerts = lines.prometheus_ui(u["prometheus"])
    text = [
        "",
        f"Lookout native demo is up (profile {profile.name}: {speed}).",
        f"  Prometheus    {alerts}   (targets: {alerts.replace('/alerts', '/targets')}, "
        f"rules: {alerts.replace('/alerts', '/rules')})",
        f"  Alertmanager  {lines.alertmanager_hint(u['alertmanager'])}",
        *([f"  HA pair       Prometheus {u['prometheus_b']}, Alertmanager {u['alertmanager_b']} (one cluster)",
           f"  Heartbeat     {u['heartbeat']}/status   <- the Watchdog's dead man's switch"]
          if state.get("ha") else []),
        f"  Pages         {u['webhook']}   <- every page Alertmanager sent, newest first",
        *([f"  Remediation   {u['remediate']}   <- what lookout-remediate did about it (audit)"] if "remediate" in u else []),
        *([f"  Runbooks      {u['runbooks']}   <- every alert's runbook_url opens here"] if "runbooks" in u else []),
        f"  Control API   {u['control']}/api/scenarios",
        "  Grafana       not in the native demo (no Debian package); `docker-compose up --build` has it on :3000",
        "",
        "From another terminal:",
        f"  Inject a fault:  {cli} demo inject <scenario>{control} [--for 2m]",
        f"  Recover:         {cli} demo recover{control}",
        f"  Status:          {cli} demo status{control}",
        "  Scenarios:       " + ", ".join(SCENARIOS),
    ]
    text += [f"Note: {n}" for n in state["notes"]]
    logs = f"{state['demo_id']} (kept after Ctrl-C in {keep_dir(state)})" if keep else \
        f"{state['demo_id']} (removed at Ctrl-C; --keep keeps the logs)"
    text += [f"Files and logs:  {logs}", "Ctrl-C stops everything. Pages appear below as they arrive:", ""]
    return "\n".join(text)


def keep_dir(state: dict) -> Path:
    return Path(state["demo_id"] + "-logs")


def copy_logs(state: dict) -> int:
    """Every *.log under the demo's temp dirs into keep_dir(state), folders kept; the number of files."""
    dest = keep_dir(state)
    n = 0
    for root in state["temp_dirs"]:
        root = Path(root)
        if not root.is_dir():
            continue
        for log in root.rglob("*.log"):
            if log.is_file():
                target = dest / root.name / log.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copyfile(log, target)
                    n += 1
                except OSError:  # a log owned by another user (dockerd's containers): skip it
                    pass
    return n


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def up(profile_name: str = "fast", random_ports: bool = False, docker: str = "auto",
       state_file: str | None = None, keep: bool = False, ha: bool = False) -> int:
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
        if keep:  # registered first, so it runs last: after every process has stopped, before rmtree
            stack.on_stop("keeping the logs", lambda: copy_logs(stack.state()))
        stack.start()
        state = stack.state()
        say(banner(state, profile, keep))
        if state_file:  # atomically: whoever waits for it must never read half of it
            tmp = Path(state_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2))
            tmp.replace(state_file)
        pager = lines.PageFollower(state["urls"]["webhook"])
        remedies = lines.RemediationFollower(Path(state["demo_id"]) / "remediate-audit.jsonl",
                                             state["urls"]["webhook"])
        while True:
            for line in pager.poll() + remedies.poll():
                say(line)
            time.sleep(1)
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
            if keep:  # now too, for the dirs a stop step removes with its server (PostgreSQL's)
                copy_logs(stack.state())
            stack.stop()
        if state_file:
            Path(state_file).unlink(missing_ok=True)
        say("Stopped: every process the demo started has exited and its temp dirs are removed.")
        if keep and stack is not None:
            say(f"Logs kept in {keep_dir(stack.state())}")
    return code


if __name__ == "__main__":
    sys.exit(up())
