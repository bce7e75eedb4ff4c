"""E-mail for a system's owner, as its runbook asks (runbook 002's "Email Alerts": SMTP host,
user, password, and the conditions that send one): an Alertmanager `email_configs` receiver and
its routes, added to the generated routing (routing.config), one readable message per incident.

    python -m lookout.alert_rules.email --smarthost smtp.gmail.com:587 --from you@gmail.com \\
        --to you@gmail.com --auth-username you@gmail.com --auth-password-file /etc/prometheus/secrets/smtp-password \\
        --out alertmanager.yml

The conditions are each system's `EMAIL_CONDITIONS` (in its signals module, found through the
registry): an alert of the signals at the severities whose threshold is the runbook's (the
thresholds are the signals', never repeated; tests/alerts/test_email.py compares them with the
runbook's numbers). A root cause of the same system that the causal model says explains one of
them is mailed too: Alertmanager mutes the explained alert, so without its cause the incident
would reach no mailbox.

The password is read by Alertmanager from `auth_password_file` (never in the config, never in
this process). Resolutions are not mailed (`send_resolved: false`): one message per incident.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import EmailCondition, Signal

RECEIVER = "email"


SUBJECT = ('[{{ .CommonLabels.severity | toUpper }}] {{ .CommonLabels.alertname }} on '
           '{{ .CommonLabels.instance }}: {{ .CommonAnnotations.summary }}')
# Plain text: one block per alert of the incident (a grouped incident lists its members).
TEXT = """\
{{ .CommonAnnotations.summary }}
{{ range .Alerts.Firing }}
{{ .Annotations.description }}
  alert:    {{ .Labels.alertname }} ({{ .Labels.severity }})
  where:    {{ .Labels.instance }}{{ if .Labels.container }} container {{ .Labels.container }}{{ end }}\
{{ if .Labels.path }} path {{ .Labels.path }}{{ end }}{{ if .Labels.table }} table {{ .Labels.table }}{{ end }}
  since:    {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}
  runbook:  {{ .Annotations.runbook_url }}
{{ end }}
Sent by Lookout's Alertmanager ({{ .ExternalURL }}) for its runbook's e-mail conditions.
"""


@dataclass(frozen=True)
class SmtpSettings:
    smarthost: str            # host:port; 587 speaks STARTTLS (require_tls)
    sender: str
    to: str
    auth_username: str
    # Read by Alertmanager at each send. Absolute: Alertmanager resolves only http_config's
    # files relative to its config's directory.
    auth_password_file: str
    require_tls: bool = True
    ca_file: str = ""         # a private CA for the SMTP server's certificate


def conditions() -> dict[str, tuple[EmailCondition, ...]]:
    """{system key: its EMAIL_CONDITIONS}, in registry order, for the systems that have some."""
    from .signals import MODULES
    return {key: tuple(module.EMAIL_CONDITIONS) for key, module in MODULES.items()
            if getattr(module, "EMAIL_CONDITIONS", ())}


def mailed_alerts(signals: list[Signal],
                  by_system: dict[str, tuple[EmailCondition, ...]] | None = None) -> dict[tuple[str, str], tuple[str, ...]]:
    """{(system, alert): severities mailed}: each system's conditions (default: conditions()),
    then that system's causes that explain one."""
    out = {}
    for system, conds in (conditions() if by_system is None else by_system).items():
        mine = {c.alert: c.severities for c in conds}
        for s in signals:
            if s.system == system and any(e.alert in mine for e in s.explains) and s.alert not in mine:
                mine[s.alert] = ("warning", "critical")
        out.update({(system, alert): sev for alert, sev in mine.items()})
    return out


def routes(signals: list[Signal]) -> list[dict]:
    """One route per mailed alert, `continue` so that the pager and chat routes still see it."""
    return [{"receiver": RECEIVER, "continue": True,
             "matchers": [f'system="{system}"', f'alertname="{alert}"', f'severity=~"{"|".join(sev)}"'],
             # One incident, one message: grouped by what the incident is about, repeated only
             # after 4 days (under Alertmanager's 120h notification-log retention, past which
             # it could not remember having sent it).
             "group_by": ["alertname", "instance", "container", "path", "table"],
             "group_wait": "30s", "group_interval": "5m", "repeat_interval": "96h"}
            for (system, alert), sev in mailed_alerts(signals).items()]


def receiver(smtp: SmtpSettings) -> dict:
    cfg = {"to": smtp.to, "from": smtp.sender, "smarthost": smtp.smarthost,
           "auth_username": smtp.auth_username, "auth_password_file": smtp.auth_password_file,
           "require_tls": smtp.require_tls, "send_resolved": False,
           "headers": {"Subject": SUBJECT}, "text": TEXT, "html": ""}
    if smtp.ca_file:
        cfg["tls_config"] = {"ca_file": smtp.ca_file}
    return {"name": RECEIVER, "email_configs": [cfg]}


def with_email(config: dict, signals: list[Signal], smtp: SmtpSettings) -> dict:
    """`config` (routing.config's dict, edited in place and returned) with the e-mail routes
    first among the routes and the receiver added."""
    config["route"]["routes"] = [*routes(signals), *config["route"].get("routes", [])]
    config["receivers"] = [r for r in config["receivers"] if r["name"] != RECEIVER] + [receiver(smtp)]
    return config


def main(argv: list[str] | None = None) -> int:
    from . import routing
    from .catalog import build
    p = argparse.ArgumentParser(prog="python -m lookout.alert_rules.email", description=__doc__.split("\n")[0])
    p.add_argument("--smarthost", required=True, help="SMTP host:port (587: STARTTLS)")
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--auth-username", required=True)
    p.add_argument("--auth-password-file", required=True,
                   help="absolute path of the file holding the SMTP password, read by Alertmanager "
                        "(never the password itself)")
    p.add_argument("--ca-file", default="")
    p.add_argument("--out", type=Path, required=True, help="the Alertmanager config to write")
    args = p.parse_args(argv)
    signals = build()
    smtp = SmtpSettings(args.smarthost, args.sender, args.to, args.auth_username, args.auth_password_file,
                        ca_file=args.ca_file)
    header = ("# Written by `python -m lookout.alert_rules.email` (lookout/alert_rules/email.py): the generated\n"
              "# routing of prometheus/alertmanager.yml plus runbook 002's e-mail receiver. Rerun it after\n"
              "# `python -m lookout.alert_rules` changes the routing; the SMTP password stays in its file.\n")
    text = header + yaml.safe_dump(
        with_email(routing.config(signals), signals, smtp), sort_keys=False, width=120)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
