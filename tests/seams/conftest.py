"""Second implementations of the generated package's vendor seams, laid out as the files they replace.

`ollama/` replaces the model client's wire format (Ollama's native chat API) and `search_post/` the search
tool's (a JSON POST with `X-API-Key`); each mirrors the generated project (`src/PACKAGE/...`, `tests/...`).
They are not tests of this repository: `tests/test_seams.py` swaps them into a rendered package and runs
that package's own gates, so they are never collected here.
"""

collect_ignore_glob = ["*/src/*", "*/tests/*"]
