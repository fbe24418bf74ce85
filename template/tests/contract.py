"""Component contract kit: the checks every AutoGen component in this package must pass.

Keep using it as the package grows. To cover a new component, subclass `ComponentContract` in a
`test_*.py` module, name the subclass `Test...` and fill in the class attributes:

```python
class TestMyToolContract(ComponentContract[MyTool]):
    interface = BaseTool
    provider = "my_package.tools.MyTool"
    secrets = ("sk-contract-secret",)

    def make(self) -> MyTool:
        # A non-default value in every config field, so the round trip proves each one survives.
        return MyTool(base_url="http://127.0.0.1:1", api_key="sk-contract-secret", timeout=3.5)
```

What it proves, for each component:

- constructing it works (every abstract member of the interface is implemented);
- the public provider path imports and resolves to the class, and `component_type`, `component_version`
  and `component_config_schema` are set;
- `dump_component()` -> JSON -> `load_component()` gives the same config, and `make()` really sets
  every field to a non-default value;
- secret values never appear in `repr`, `str`, the dumped model or its JSON, and a key reloaded from JSON
  (where AutoGen masks it as `**********`) counts as absent instead of being used;
- loading works with and without `AUTOGEN_ALLOWED_PROVIDER_NAMESPACES` (AutoGen releases after 0.7.5
  refuse providers outside a trusted list unless the package is named there).
"""

from __future__ import annotations

import importlib
import inspect
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import pytest
from autogen_core import ComponentBase, ComponentLoader, ComponentModel
from pydantic import BaseModel, SecretStr

C = TypeVar("C", bound=ComponentBase[BaseModel])

NAMESPACE_VARIABLE = "AUTOGEN_ALLOWED_PROVIDER_NAMESPACES"


def secret_field_names(config: BaseModel) -> set[str]:
    """Names of the config fields that hold a `SecretStr`."""
    return {name for name in type(config).model_fields if isinstance(getattr(config, name), SecretStr)}


def public_fields(config: BaseModel, secrets: set[str]) -> dict[str, Any]:
    """The config as JSON-compatible data, without the named secret fields."""
    return config.model_dump(mode="json", exclude=secrets)


class ComponentContract(ABC, Generic[C]):
    """Base class of a component's contract tests (not collected itself: its name does not start with Test)."""

    interface: ClassVar[type[Any]]
    """The AutoGen interface the component implements, e.g. `ChatCompletionClient`."""
    provider: ClassVar[str]
    """The public import path written into dumped configs."""
    secrets: ClassVar[tuple[str, ...]] = ()
    """Secret values `make()` passes in; none may leak."""
    runtime_only: ClassVar[tuple[str, ...]] = ()
    """Constructor arguments deliberately left out of the config: live objects (an HTTP client, a callable)
    that cannot be written as JSON. Everything else the constructor takes must be a config field."""

    @abstractmethod
    def make(self) -> C:
        """Build the component with a non-default value in every config field."""

    def test_implements_interface(self) -> None:
        component = self.make()  # TypeError here means an abstract member is missing
        assert isinstance(component, self.interface)
        assert isinstance(component, ComponentBase)

    def config_schema(self) -> type[BaseModel]:
        schema: type[BaseModel] = getattr(type(self.make()), "component_config_schema")  # noqa: B009
        return schema

    def test_component_metadata(self) -> None:
        cls = type(self.make())
        assert cls.component_type, "component_type must be set"
        assert cls.component_version >= 1
        assert issubclass(self.config_schema(), BaseModel)
        assert cls.component_provider_override == self.provider

    def test_provider_path_imports(self) -> None:
        module_name, _, class_name = self.provider.rpartition(".")
        assert not any(part.startswith("_") for part in module_name.split(".")), "use the public path"
        resolved = getattr(importlib.import_module(module_name), class_name)
        assert resolved is type(self.make())

    def test_constructor_and_config_name_the_same_settings(self) -> None:
        # _from_config passes every config field to the constructor by name (constructor_arguments), so the
        # two must agree: a constructor argument missing from the config would be lost in a round trip.
        parameters = inspect.signature(type(self.make())).parameters
        arguments = {name for name, p in parameters.items() if p.kind is not inspect.Parameter.VAR_KEYWORD}
        assert arguments - set(self.runtime_only) == set(self.config_schema().model_fields)

    def test_every_field_is_exercised(self) -> None:
        component = self.make()
        config = component.dump_component().config
        schema = self.config_schema()
        defaults = schema.model_construct()  # default for each field that has one
        for name, info in schema.model_fields.items():
            if info.is_required():
                continue
            assert config.get(name) is not None, f"make() leaves config field {name!r} unset"
            if name in secret_field_names(component._to_config()):  # pyright: ignore[reportPrivateUsage]
                continue
            default = getattr(defaults, name)
            default_json = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
            assert schema.model_validate(config).model_dump(mode="json")[name] != default_json, (
                f"make() leaves config field {name!r} at its default, so the round trip cannot prove it survives"
            )

    def test_round_trip_through_json(self) -> None:
        component = self.make()
        dumped = component.dump_component()
        reloaded = ComponentLoader.load_component(json.loads(dumped.model_dump_json()), self.interface)
        assert type(reloaded) is type(component)
        original_config = component._to_config()  # pyright: ignore[reportPrivateUsage]
        reloaded_config = reloaded._to_config()  # pyright: ignore[reportPrivateUsage]
        secrets = secret_field_names(original_config)
        assert public_fields(reloaded_config, secrets) == public_fields(original_config, secrets)
        for name in secrets:
            # JSON holds only the mask; using it as a key would send "**********" to a server.
            assert getattr(reloaded_config, name) is None, f"{name} reloaded from JSON must count as absent"

    def test_round_trip_in_memory_keeps_secrets(self) -> None:
        component = self.make()
        reloaded = ComponentLoader.load_component(component.dump_component(), self.interface)
        original_config = component._to_config()  # pyright: ignore[reportPrivateUsage]
        assert reloaded._to_config() == original_config  # pyright: ignore[reportPrivateUsage]

    def test_secrets_never_leak(self) -> None:
        component = self.make()
        dumped: ComponentModel = component.dump_component()
        texts = {
            "repr(component)": repr(component),
            "str(component)": str(component),
            "repr(config)": repr(component._to_config()),  # pyright: ignore[reportPrivateUsage]
            "str(dump)": str(dumped),
            "dump JSON": dumped.model_dump_json(),
            "config JSON": json.dumps(dumped.model_dump(mode="json")),
        }
        for secret in self.secrets:
            for where, text in texts.items():
                assert secret not in text, f"secret leaked through {where}"

    @pytest.mark.parametrize("allow_namespace", [True, False], ids=["namespace-allowed", "no-namespace-variable"])
    def test_loads_under_namespace_policy(self, allow_namespace: bool, monkeypatch: pytest.MonkeyPatch) -> None:
        if allow_namespace:
            monkeypatch.setenv(NAMESPACE_VARIABLE, self.provider.split(".")[0])
        else:
            monkeypatch.delenv(NAMESPACE_VARIABLE, raising=False)
        try:
            reloaded = ComponentLoader.load_component(self.make().dump_component(), self.interface)
        except ValueError as exc:
            # Only AutoGen releases with trusted namespaces refuse, and only without the variable.
            if allow_namespace or "trusted namespace" not in str(exc):
                raise
            return
        assert type(reloaded).__name__ == self.provider.rpartition(".")[2]
