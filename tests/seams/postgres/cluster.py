"""A private PostgreSQL cluster for one test session: Debian's `postgresql` binaries, 127.0.0.1, a free port.

`PostgresCluster.find()` locates `initdb`/`pg_ctl` (on PATH or under /usr/lib/postgresql/*/bin) and says why
it cannot when they are missing, so the caller can skip with that reason. The cluster lives in a fresh
temporary directory, trusts local connections only (it listens on 127.0.0.1 and a socket in that directory),
runs without fsync (test data), and `stop()` removes it. PostgreSQL refuses to run as root: as root, the
cluster runs as the `postgres` user the Debian package creates (or `nobody`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

USER = "memtest"


def psycopg_requirement() -> str:
    """The psycopg this repository locks, to install beside a generated package: it comes from uv's cache."""
    return f"psycopg[binary]=={version('psycopg')}"


@dataclass
class PostgresCluster:
    bin_dir: Path
    run_as: str | None
    root: Path | None = None
    port: int | None = None

    @classmethod
    def find(cls) -> PostgresCluster | str:
        """A cluster ready to start, or the reason there is none here."""
        on_path = shutil.which("pg_ctl")
        candidates = [Path(on_path).resolve().parent] if on_path else []
        candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
        for bin_dir in candidates:
            if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
                return cls(bin_dir, _unprivileged_user())
        return "PostgreSQL is not installed (no initdb/pg_ctl): apt-get install postgresql"

    @property
    def dsn(self) -> str:
        assert self.port is not None, "the cluster is not running"
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="memory-postgres-"))
        if self.run_as is not None:
            shutil.chown(self.root, self.run_as)
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.port = _free_port()
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F"
        log = str(self.root / "server.log")
        try:
            self._run("pg_ctl", "-D", str(data), "-l", log, "-o", options, "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            server_log = Path(log).read_text(errors="replace") if Path(log).exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{server_log}") from exc

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove its directory."""
        if self.root is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = self.port = None

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run(
            [str(self.bin_dir / program), *arguments],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
            user=self.run_as,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C"},
        )


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
