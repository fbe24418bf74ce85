"""`tomllib` on 3.11+, `tomli` on 3.10: one import for the template's own code and tests."""

import sys

if sys.version_info >= (3, 11):
    import tomllib as toml
else:  # pragma: no cover
    import tomli as toml

__all__ = ["toml"]
