"""Local stand-ins for the official images docker-compose.yml pins, built from Debian's own
packages, so that the unchanged compose file can run where no registry can be reached.

A root file system made once with `debootstrap --variant=minbase` (cached under
$LOOKOUT_STANDIN_CACHE, default /var/cache/lookout), copied per image, Debian's packages
installed into the copy with apt in a chroot, a few files added, and the result imported with
`docker import` under the pinned name, with the entrypoint the official image has. Each image's
tarball is cached by a hash of its recipe. They stand in; they are not the same programs:

| pinned | stand-in |
|---|---|
| prom/prometheus:v2.53.0 | Debian's prometheus (2.42) |
| prom/alertmanager:v0.27.0 | Debian's prometheus-alertmanager (0.25) |
| pingcap/tidb:v8.1.0 | MariaDB on TiDB's port 4000, a /status page on 10080 once it answers |
| timescale/timescaledb:2.15.2-pg16 | PostgreSQL 15, initialised as the postgres image does (POSTGRES_PASSWORD_FILE, POSTGRES_DB) |
| node:20.15.1-bookworm-slim | Debian's nodejs (18) |
| python:3.11.9-slim-bookworm | Debian's python3 (3.11) with pip, `python` on the PATH, this machine's CA bundle |
| grafana/grafana:10.4.2 | a placeholder: checks that grafana.ini, the provisioning files and the dashboards are mounted and parse, then answers /api/health |

Needs root (debootstrap, chroot) and the network to Debian's mirror on the first build.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("LOOKOUT_STANDIN_CACHE", "/var/cache/lookout"))
SUITE, MIRROR = "bookworm", "http://deb.debian.org/debian"

TIDB = r"""#!/bin/sh
# pingcap/tidb stand-in: MariaDB on 4000; /status on 10080 once it answers (the healthcheck).
datadir=/data/tidb
for a in "$@"; do case "$a" in --path=*) datadir="${a#--path=}";; esac; done
mkdir -p "$datadir" /run/mysqld /tmp/www && chown -R mysql:mysql "$datadir" /run/mysqld
[ -d "$datadir/mysql" ] || mariadb-install-db --user=mysql --datadir="$datadir" \
    --auth-root-authentication-method=normal >/dev/null
echo "CREATE USER IF NOT EXISTS 'root'@'%'; GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;" > /tmp/init.sql
( until mariadb-admin -h127.0.0.1 -P4000 -uroot ping >/dev/null 2>&1; do sleep 1; done
  echo '{"connections":0,"version":"8.0.11-TiDB-v8.1.0 (stand-in: MariaDB)"}' > /tmp/www/status
  exec busybox httpd -f -p 10080 -h /tmp/www ) &
exec mariadbd --user=mysql --datadir="$datadir" --port=4000 --bind-address=0.0.0.0 \
    --init-file=/tmp/init.sql --skip-name-resolve
"""

POSTGRES = r"""#!/bin/sh
# timescale/timescaledb stand-in: PostgreSQL, initialised as the postgres image does.
set -e
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
mkdir -p "$PGDATA" /run/postgresql && chown -R postgres:postgres "$PGDATA" /run/postgresql && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "$POSTGRES_PASSWORD_FILE" ]; then cp "$POSTGRES_PASSWORD_FILE" /tmp/pw; else printf %s "$POSTGRES_PASSWORD" > /tmp/pw; fi
  chown postgres /tmp/pw
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U postgres --pwfile=/tmp/pw \
      --auth-host=scram-sha-256 --auth-local=trust >/dev/null
  rm -f /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != postgres ]; then
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    runuser -u postgres -- psql -q -U postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
"""

GRAFANA = r"""#!/bin/sh
# grafana/grafana placeholder: Grafana itself is not in Debian. Checks what compose mounts.
set -e
python3 - <<'EOF'
import configparser, json, pathlib, yaml
ini = configparser.ConfigParser(strict=False)
ini.read_string(pathlib.Path("/etc/grafana/grafana.ini").read_text())
prov = sorted(pathlib.Path("/etc/grafana/provisioning").rglob("*.y*ml"))
assert prov, "no provisioning files mounted"
for p in prov:
    yaml.safe_load(p.read_text())
boards = sorted(pathlib.Path("/var/lib/grafana/dashboards/lookout").glob("*.json"))
assert boards, "no dashboards mounted"
for b in boards:
    json.loads(b.read_text())
print(f"grafana placeholder: grafana.ini ({len(ini.sections())} sections), {len(prov)} provisioning files"
      f" and {len(boards)} dashboards parse", flush=True)
EOF
mkdir -p /tmp/www/api && echo '{"database":"ok","version":"placeholder"}' > /tmp/www/api/health
exec busybox httpd -f -p 3000 -h /tmp/www
"""


@dataclass(frozen=True)
class StandIn:
    image: str
    packages: tuple[str, ...]
    changes: tuple[str, ...]             # `docker import --change` lines
    files: dict = field(default_factory=dict)   # path -> (text, mode)
    script: str = ""                     # shell run in the chroot after the packages
    # Files copied from this machine: the CA bundle where the network re-signs TLS (pip in
    # the Dockerfile's build must trust what this machine trusts).
    host_files: tuple[str, ...] = ()

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([self.image, self.packages, self.changes, sorted(self.files.items()),
                                          self.script, self.host_files]).encode()).hexdigest()[:12]


STANDINS = (
    StandIn("prom/prometheus:v2.53.0", ("prometheus",),
            ('ENTRYPOINT ["/usr/bin/prometheus"]', 'CMD ["--config.file=/etc/prometheus/prometheus.yml"]',
             "WORKDIR /prometheus", "EXPOSE 9090")),
    StandIn("prom/alertmanager:v0.27.0", ("prometheus-alertmanager",),
            ('ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]', "WORKDIR /alertmanager", "EXPOSE 9093")),
    StandIn("pingcap/tidb:v8.1.0", ("mariadb-server", "mariadb-client"),
            ('ENTRYPOINT ["/tidb-server"]', "EXPOSE 4000 10080"), {"tidb-server": (TIDB, 0o755)}),
    StandIn("timescale/timescaledb:2.15.2-pg16", ("postgresql",),
            ('ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'CMD ["postgres"]', "EXPOSE 5432",
             "ENV PGDATA=/var/lib/postgresql/data"),
            {"usr/local/bin/docker-entrypoint.sh": (POSTGRES, 0o755)}),
    StandIn("node:20.15.1-bookworm-slim", ("nodejs",), ('CMD ["node"]',)),
    StandIn("python:3.11.9-slim-bookworm", ("python3", "python3-pip", "python3-venv"), ('CMD ["python3"]',),
            script="rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && ln -sf /usr/bin/python3 /usr/local/bin/python"
                   " && ln -sf /usr/bin/pip3 /usr/local/bin/pip",
            host_files=("etc/ssl/certs/ca-certificates.crt",)),
    StandIn("grafana/grafana:10.4.2", ("python3", "python3-yaml"), ('ENTRYPOINT ["/run.sh"]', "EXPOSE 3000"),
            {"run.sh": (GRAFANA, 0o755)}),
)


def _run(*args: str, **kw) -> None:
    res = subprocess.run(args, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {res.returncode}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")


def rootfs() -> Path:
    """The cached minbase root file system (busybox for wget and httpd, like the official images' shells)."""
    root = CACHE / f"rootfs-{SUITE}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        _run("debootstrap", "--variant=minbase", "--include=ca-certificates,busybox", SUITE, str(root), MIRROR,
             timeout=1800)
        (root / ".complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    return root


def tarball(spec: StandIn) -> Path:
    """The image's file system as a tar, built (packages in a chroot) unless cached."""
    slug = spec.image.replace("/", "_").replace(":", "_")
    tar = CACHE / "images" / f"{slug}-{spec.digest()}.tar"
    if tar.exists():
        return tar
    base = rootfs()
    work = CACHE / "images" / slug
    shutil.rmtree(work, ignore_errors=True)
    work.parent.mkdir(parents=True, exist_ok=True)
    _run("cp", "-a", str(base), str(work))
    shutil.copy("/etc/resolv.conf", work / "etc" / "resolv.conf")
    # No service may start inside the chroot.
    (work / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    (work / "usr/sbin/policy-rc.d").chmod(0o755)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    _run("chroot", str(work), "apt-get", "update", "-q", env=env, timeout=600)
    _run("chroot", str(work), "apt-get", "install", "-y", "-q", "--no-install-recommends", *spec.packages,
         env=env, timeout=1800)
    _run("chroot", str(work), "sh", "-c",
         "apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d"
         " && ln -sf /bin/busybox /usr/local/bin/wget" + (f" && {spec.script}" if spec.script else ""),
         env=env, timeout=300)
    for rel, (text, mode) in spec.files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
    for rel in spec.host_files:
        shutil.copy(Path("/") / rel, work / rel)
    partial = tar.with_suffix(".partial")
    _run("tar", "-C", str(work), "--numeric-owner", "-cf", str(partial), ".", timeout=900)
    partial.rename(tar)
    shutil.rmtree(work, ignore_errors=True)
    return tar


def import_all(client, log=print) -> dict[str, float]:
    """Build (or take from the cache) and `docker import` every stand-in under its pinned
    name; returns seconds per image (build plus import)."""
    took = {}
    for spec in STANDINS:
        start = time.monotonic()
        path = tarball(spec)
        repo, tag = spec.image.rsplit(":", 1)
        client.api.import_image_from_file(str(path), repository=repo, tag=tag, changes=list(spec.changes))
        took[spec.image] = round(time.monotonic() - start, 1)
        log(f"stand-in {spec.image}: {took[spec.image]} s")
    return took


def import_one(client, image: str) -> None:
    [spec] = [s for s in STANDINS if s.image == image]
    repo, tag = spec.image.rsplit(":", 1)
    client.api.import_image_from_file(str(tarball(spec)), repository=repo, tag=tag, changes=list(spec.changes))


# Each system's own tests (lookout/systems/<key>/tests/): .dockerignore leaves them out.
SYSTEM_TESTS = re.compile(r"lookout/systems/[^/]+/tests")


def _context(root: Path) -> io.BytesIO:
    """The Dockerfile's build context as .dockerignore leaves it (no .venv, tests or docs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("Dockerfile", "pyproject.toml", "setup.py", "requirements.lock", "README.md"):
            tar.add(root / name, name)
        tar.add(root / "lookout", "lookout", filter=lambda t: None if "__pycache__" in t.name or SYSTEM_TESTS.fullmatch(t.name) else t)
    buf.seek(0)
    return buf


def build_lookout(client, workdir: Path, revision: str = "stand-in") -> None:
    """lookout:local from the project's Dockerfile on the python stand-in, then loaded into
    `client`'s engine. Built on an engine in the host's network (the Dockerfile's pip needs
    PyPI, which an isolated engine cannot reach) and moved over with save/load."""
    from .docker import DockerEngine
    from .proc import ROOT
    builder = DockerEngine().start()
    saved = workdir / "lookout-local.tar"
    try:
        b = builder.client()
        import_one(b, "python:3.11.9-slim-bookworm")
        b.images.build(fileobj=_context(ROOT), custom_context=True, tag="lookout:local", network_mode="host",
                       rm=True, buildargs={"LOOKOUT_REVISION": revision})
        with open(saved, "wb") as f:
            for chunk in b.images.get("lookout:local").save(named=True):
                f.write(chunk)
    finally:
        builder.stop()
    with open(saved, "rb") as f:
        client.images.load(f)
    saved.unlink()
