"""A real Docker engine of the tests' own: Debian's dockerd on a private Unix socket with its
data and exec roots in a temp dir, plus a tiny image imported from busybox-static.

No bridge and no iptables: the tests' containers need no network (network_mode "none"),
and the host's firewall is none of the tests' business. If dockerd cannot start, start()
raises with dockerd's log so the failure says why instead of skipping.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .proc import wait_until

IMAGE = "lookout-busybox:test"
_APPLETS = ("sh", "sleep", "echo", "cat", "dd", "head", "tr", "true", "false", "rm", "ls", "mv", "seq", "printf")


# An isolated engine's own network and mount namespaces: loopback up, a private /run, so that
# its containers' published ports and a compose file's /var/run/docker.sock are its own.
_ISOLATE = ("mount --make-rprivate / && mount -t tmpfs tmpfs /run && ip link set lo up"
            " && mkdir -p /run/lookout && exec \"$@\"")


class DockerEngine:
    def __init__(self, isolated: bool = False):
        """`isolated`: dockerd in network and mount namespaces of its own (unshare), also
        listening on that namespace's /var/run/docker.sock: what docker-compose.yml mounts."""
        self.isolated = isolated
        # Short path: containerd's socket lives under exec-root and Unix socket paths are capped at 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="lk-dk-", dir="/tmp"))
        self.socket = self.dir / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.log_path = self.dir / "dockerd.log"
        self.proc: subprocess.Popen | None = None
        self._client = None

    def start(self, timeout: float = 60) -> "DockerEngine":
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        self._log = open(self.log_path, "w")
        args = [dockerd, "--host", self.host, "--data-root", str(self.dir / "data"),
                "--exec-root", str(self.dir / "exec"), "--pidfile", str(self.dir / "docker.pid"),
                "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=overlay2"]
        if self.isolated:
            args = ["unshare", "--net", "--mount", "sh", "-c", _ISOLATE, "dockerd",
                    *args, "--host", "unix:///var/run/docker.sock"]
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(self._ready, timeout, interval=0.2, what="dockerd")
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"dockerd did not start ({exc}); its log:\n{self.logs()}") from None
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"dockerd exited with {self.proc.returncode}")
        return self.socket.exists() and self.client().ping()

    def client(self):
        import docker
        if self._client is None:
            self._client = docker.DockerClient(base_url=self.host, version="auto", timeout=30)
        return self._client

    def logs(self) -> str:
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def import_busybox(self, name: str = IMAGE) -> str:
        """An image holding only /bin/busybox (Debian's static build) and its applet links."""
        busybox = shutil.which("busybox") or "/bin/busybox"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for d in ("bin", "tmp", "proc", "sys", "dev", "etc", "ctl"):
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
                tar.addfile(info)
            tar.add(busybox, "bin/busybox")
            for applet in _APPLETS:
                info = tarfile.TarInfo(f"bin/{applet}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(info)
        repo, tag = name.split(":")
        self.client().api.import_image_from_data(buf.getvalue(), repository=repo, tag=tag)
        return name

    def run(self, command: list[str], name: str, **kw):
        """A detached container from the busybox image, without network."""
        kw.setdefault("network_mode", "none")
        return self.client().containers.run(IMAGE, command, name=name, detach=True, **kw)

    def remove_all(self) -> None:
        for c in self.client().containers.list(all=True):
            try:
                c.remove(force=True)
            except Exception:  # already gone
                pass

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.remove_all()
            except Exception:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._client is not None:
            self._client.close()
        if getattr(self, "_log", None):
            self._log.close()
        # dockerd unmounts its overlays on a clean exit; after a kill some may linger.
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1].startswith(str(self.dir))]
        for mnt in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
