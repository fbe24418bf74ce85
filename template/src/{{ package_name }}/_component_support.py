"""What every component of this package shares: secret handling, settings from the environment, the config
round trip.

Each component holds its arguments in one pydantic config (`self._config`), returns a copy of it from
`_to_config()`, and rebuilds itself in `_from_config()` with `cls(**constructor_arguments(config))`, so a
new config field can never be forgotten on the way back. `tests/contract.py` checks that the constructor's
keyword arguments and the config's fields are the same names.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

SECRET_MASK = "**********"
"""How AutoGen writes a `SecretStr` into JSON. A key reloaded from JSON holds only this mask, so it counts as
absent: sending it to a server would fail in a confusing way."""


def usable_secret(value: SecretStr | str | None) -> SecretStr | None:
    """`value` as a `SecretStr`, or `None` for no value, an empty one, or AutoGen's JSON mask."""
    if isinstance(value, str):
        value = SecretStr(value)
    if value is None or value.get_secret_value() in ("", SECRET_MASK):
        return None
    return value


def resolve_secret(configured: SecretStr | None, variable: str) -> str | None:
    """The secret to use now: the configured one, else the environment variable `variable`, read at this moment.

    Reading the environment when the secret is needed (not when the component is built) means a component
    loaded from a JSON config, where the secret was masked, picks it up from the environment instead.
    """
    secret = configured or usable_secret(os.environ.get(variable))
    return secret.get_secret_value() if secret is not None else None


def required_setting(configured: str | None, *, variable: str, argument: str, what: str) -> str:
    """A setting that may come from the environment: the configured value, else `variable`, read now.

    Raises:
        ValueError: neither is set; the message names the argument and the variable, e.g. "no model server
            URL: pass base_url= or set MY_PACKAGE_BASE_URL".
    """
    value = configured or os.environ.get(variable)
    if not value:
        raise ValueError(f"no {what}: pass {argument}= or set {variable}")
    return value


def constructor_arguments(config: BaseModel) -> dict[str, Any]:
    """Keyword arguments that rebuild a component from its config: one per config field, none forgotten."""
    return {name: getattr(config, name) for name in type(config).model_fields}


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` (PEP 562) that imports each framework front on first use.

    A component's subpackage re-exports its framework front (e.g. the AutoGen class) this way, so importing
    the subpackage, its config or its vendor module never imports an agent framework: a user of the other
    framework, or a test that blocks both, can use them. Type checkers see the names through a
    `TYPE_CHECKING` import instead (the `__getattr__` is defined only at run time, so a misspelt name is
    still an error for them).

    Args:
        package: The subpackage's `__name__`.
        exports: Each public name -> the private module (relative, e.g. `"._client"`) that defines it.
    """

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
