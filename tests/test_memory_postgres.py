"""The memory's storage seam holds: a PostgreSQL store passes the generated package's vendor-neutral memory tests.

A memory-only package is rendered and installed; psycopg (this repository's dev dependency, never the
package's) is added to its environment; a private PostgreSQL cluster is started on 127.0.0.1; then the
package's own `tests/memory/test_memory.py`, `test_hostile.py` and `test_agent.py` run unchanged with
`MEMORY_TEST_STORE` naming `tests/seams/postgres/postgres_store.py:make_store`, so every memory they build
is `Memory(store=PostgresStore(...))`. Skipped, with the reason, where PostgreSQL or Python 3.11 is missing.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from hooks.gates import tool_env, uv
from tests.conftest import REPO_ROOT, Render, python_or_skip
from tests.seams.postgres.cluster import PostgresCluster, psycopg_requirement

SEAM = REPO_ROOT / "tests" / "seams" / "postgres"
VENDOR_NEUTRAL_TESTS = ["tests/memory/test_memory.py", "tests/memory/test_hostile.py", "tests/memory/test_agent.py"]

pytestmark = pytest.mark.gates  # installs and tests a generated package


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster.find()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_vendor_neutral_memory_tests_pass_on_postgres(render_project: Render, postgres: PostgresCluster) -> None:
    python = python_or_skip("3.11")
    project = render_project({"components": ["memory"]})
    venv = project / ".venv"
    install = [
        [uv(), "sync", "--quiet", "--python", python],
        [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), psycopg_requirement()],
    ]
    for argv in install:
        subprocess.run(argv, cwd=project, env=tool_env(None), check=True, capture_output=True, text=True)

    env = {
        **tool_env(venv),
        "PYTHONPATH": str(SEAM),
        "MEMORY_TEST_STORE": "postgres_store:make_store",
        "MEMORY_POSTGRES_DSN": postgres.dsn,
    }
    proc = subprocess.run(
        ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *VENDOR_NEUTRAL_TESTS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in [\d.]+s", summary), f"expected only passes, got: {summary}"

    # The tests really ran on PostgreSQL: their tables hold the memories they added.
    with psycopg.connect(postgres.dsn) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'memories\\_%'"
        ).fetchone()
    assert tables is not None and tables[0] >= 10, "the memory tests did not use the PostgreSQL store"
