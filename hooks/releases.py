"""Template releases, and throwaway template repositories that replay them for update tests.

A release is a PEP 440 tag ``vX.Y.Z`` on this repository. ``copier copy`` without ``--vcs-ref`` renders the
newest one; ``copier update`` moves a project between them. The lifecycle tests copy a project at each
earlier release and update it to the working tree, so ``earlier_versions()`` never comes back empty:
without tags (none cut yet, or a clone that did not fetch them) it builds an older state itself.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from hooks.render import REPO_ROOT, TEMPLATE_PARTS, snapshot

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.org",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.org",
}
_RELEASE_TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def release_tags(repo: Path = REPO_ROOT) -> list[str]:
    """Release tags of this repository, oldest first."""
    try:
        tags = git("tag", "--list", "v*", cwd=repo).split()
    except RuntimeError:
        return []
    releases = [t for t in tags if _RELEASE_TAG.match(t)]
    return sorted(releases, key=lambda t: tuple(int(x) for x in _RELEASE_TAG.match(t).groups()))  # type: ignore[union-attr]


@dataclass(frozen=True)
class Version:
    """An earlier state of the template: a label for test ids and a way to export its files."""

    label: str
    ref: str | None  # a git ref in this repository, or None for a state derived from the working tree
    tag: str = "v0.0.1"  # the PEP 440 tag it gets in a throwaway template repository

    def export(self, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        if self.ref is None:
            snapshot(dest)
            _age(dest)
            return dest
        archive = subprocess.run(
            ["git", "archive", "--format=tar", self.ref, *TEMPLATE_PARTS],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:  # Python before 3.10.12; the archive is this repository's own
                tar.extractall(dest)
        return dest


def _age(template: Path) -> None:
    """Make a working-tree snapshot look like an older release: one file and one README line fewer."""
    (template / "template" / "CHANGELOG.md.jinja").unlink()
    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8").replace("## Development\n", "## Developing\n"), "utf-8")


def earlier_versions() -> list[Version]:
    """Every release tag, oldest first; without any (no release yet, or a clone without tags), a derived one.

    The derived state is deterministic (``_age``), so the update path is always exercised, never skipped.
    """
    tags = release_tags()
    if tags:
        return [Version(tag, tag, tag) for tag in tags]
    return [Version("derived-older-state", None)]


def template_repo(path: Path, states: list[tuple[str | None, Path]]) -> Path:
    """A git repository whose history is ``states`` in order, each commit tagged unless its tag is None."""
    path.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    for tag, source in states:
        for child in path.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(source, path, dirs_exist_ok=True)
        git("add", "--all", cwd=path)
        git("commit", "--quiet", "--allow-empty", "-m", f"template {tag or 'HEAD'}", cwd=path)
        if tag:
            git("tag", tag, cwd=path)
    return path
