"""Stamps the git commit into the wheel (lookout/REVISION) so that an installed exporter's
`--version` and `<ns>_build_info{revision}` name it, and declares the console scripts (one per
system folder); pyproject.toml has everything else.

The commit is $LOOKOUT_REVISION when set (a build from a copy without .git, such as the
Dockerfile's: `--build-arg LOOKOUT_REVISION=$(git rev-parse HEAD)`), else `git rev-parse HEAD`
of this source tree (only when the tree is the repository's top level, so a source unpacked
inside another repository does not report that one's commit), else `unknown`.
"""
import os
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def revision() -> str:
    if os.environ.get("LOOKOUT_REVISION"):
        return os.environ["LOOKOUT_REVISION"].strip()
    try:
        out = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--show-toplevel", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != HERE:
        return "unknown"
    return lines[1]


class BuildPyWithRevision(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "lookout" / "REVISION"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(revision() + "\n")


def console_scripts() -> list[str]:
    """`lookout-<key>` for each system folder with an exporter (lookout/systems/<key>/exporter/),
    so a new system needs no edit here; plus the shared commands."""
    systems = sorted(p.parent.parent.name for p in (HERE / "lookout" / "systems").glob("*/exporter/__main__.py"))
    # lookout.exporters.start runs each system's exporter.__main__.main with the garbage
    # collector off during start-up (issue 24).
    return [*(f"lookout-{key} = lookout.exporters.start:{key}" for key in systems),
            "lookout-remediate = lookout.remediate.__main__:main", "lookout = lookout.cli.__main__:main"]


setup(cmdclass={"build_py": BuildPyWithRevision}, entry_points={"console_scripts": console_scripts()})
