"""The official OpenAI `CreateChatCompletionRequest` schema, vendored, and a validator for request bodies.

`openai-openapi/` beside this file holds the request schema and every schema it references (its `$ref`
closure), copied verbatim from OpenAI's API description (openai/openai-openapi, MIT, licence beside it), so
the suite needs neither the network nor the full 3 MB file. The description is OpenAPI 3.1 but still uses
the 3.0 keyword `nullable: true`, which a JSON Schema 2020-12 validator ignores: `admit_null()` rewrites it
into types that admit `null` when the validator is built, and the vendored copy stays byte-for-byte
OpenAI's text.

    uv run python -m tests.interop.openai_schema --write   # re-vendor from ../shared/reference/openai-openapi
    uv run python -m tests.interop.openai_schema --check   # the vendored copy equals what --write would write
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "openai-openapi"
SCHEMA_FILE = VENDORED / "create-chat-completion-request.json"
REFERENCE = HERE.parents[2] / "shared" / "reference" / "openai-openapi"
"""Where the full description lives next to a checkout (`../shared/reference/openai-openapi`)."""
ROOT = "CreateChatCompletionRequest"
PREFIX = "#/components/schemas/"


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def closure(schemas: Mapping[str, Any], root: str = ROOT) -> dict[str, Any]:
    """`root` and every schema it references, directly or not, in name order."""
    names: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        for ref in _references(schemas[name]):
            if not ref.startswith(PREFIX):
                raise ValueError(f"{name} refers outside components/schemas: {ref}")
            pending.append(ref.removeprefix(PREFIX))
    return {name: schemas[name] for name in sorted(names)}


def source_commit(reference: Path = REFERENCE) -> str:
    match = re.search(r"commit ([0-9a-f]{40})", (reference / "README.md").read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"no source commit in {reference / 'README.md'}")
    return match.group(1)


def vendored_files(reference: Path = REFERENCE) -> dict[str, str]:
    """The text of each vendored file, generated from the reference description."""
    spec = json.loads((reference / "openapi.json").read_text(encoding="utf-8"))
    commit = source_commit(reference)
    version = spec["info"]["version"]
    document = {
        "x-source": {
            "repository": "https://github.com/openai/openai-openapi",
            "commit": commit,
            "file": "openapi.json",
            "api_version": version,
            "license": "MIT, Copyright (c) OpenAI; see LICENSE beside this file",
            "extracted": f"components/schemas/{ROOT} and its $ref closure, verbatim",
        },
        "components": {"schemas": closure(spec["components"]["schemas"])},
    }
    readme = (
        "# OpenAI's chat-completions request schema (vendored)\n\n"
        f"`{SCHEMA_FILE.name}` holds `components/schemas/{ROOT}` and every schema it\n"
        "references, copied verbatim from OpenAI's API description:\n"
        f"https://github.com/openai/openai-openapi, file `openapi.json`, commit\n"
        f"{commit}, API version {version}.\n\n"
        "It is under the MIT licence: `LICENSE`, copied from the same repository. Do not edit these files:\n"
        "regenerate them with `uv run python -m tests.interop.openai_schema --write`\n"
        "(see `tests/interop/openai_schema.py`).\n"
    )
    return {
        SCHEMA_FILE.name: json.dumps(document, indent=1, ensure_ascii=False) + "\n",
        "LICENSE": (reference / "LICENSE").read_text(encoding="utf-8"),
        "README.md": readme,
    }


def stale_files(reference: Path = REFERENCE) -> list[str]:
    """Vendored files that differ from (or are missing compared with) what `--write` would write."""
    return [
        name
        for name, text in vendored_files(reference).items()
        if not (VENDORED / name).is_file() or (VENDORED / name).read_text(encoding="utf-8") != text
    ]


def admit_null(node: Any) -> Any:
    """A copy of `node` where every OpenAPI 3.0 `nullable: true` became JSON Schema that admits `null`.

    A typed schema gets `"null"` added to its `type` (and `None` to its `enum`); any other (a `$ref`,
    `oneOf`, ...) is wrapped as `anyOf: [schema, {"type": "null"}]`.
    """
    if isinstance(node, list):
        return [admit_null(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    schema = {key: admit_null(value) for key, value in node.items()}
    nullable = schema.get("nullable")
    if not isinstance(nullable, bool):  # absent, or a property that happens to be called "nullable"
        return schema
    del schema["nullable"]
    if not nullable:
        return schema
    if "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    schema["type"] = types if "null" in types else [*types, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    """A JSON Schema 2020-12 validator for one chat-completions request body."""
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": PREFIX + ROOT,
        "components": admit_null(document["components"]),
    }
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root)


def _cause(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a failed oneOf/anyOf (e.g. a message of the wrong shape), the reason within the closest branch."""
    if not error.context:
        return error
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = min(branches.values(), key=len)  # a user message with a bad content fails the user branch once
    return _cause(jsonschema.exceptions.best_match(closest))


def problems(body: Any) -> list[str]:
    """Why `body` is not a valid `CreateChatCompletionRequest` (empty when it is)."""
    found = []
    for error in sorted(validator().iter_errors(body), key=lambda e: list(e.absolute_path)):
        cause = _cause(error)
        found.append(f"{'/'.join(str(part) for part in cause.absolute_path) or '(body)'}: {cause.message}")
    return found


def _main(argv: list[str]) -> None:
    if argv == ["--write"]:
        VENDORED.mkdir(exist_ok=True)
        for name, text in vendored_files().items():
            (VENDORED / name).write_text(text, encoding="utf-8")
        print(f"wrote {VENDORED}")
    elif argv == ["--check"]:
        stale = stale_files()
        if stale:
            sys.exit(f"stale vendored files in {VENDORED}: {stale}; run with --write")
        print("vendored schema matches the reference")
    else:
        sys.exit("usage: python -m tests.interop.openai_schema --write | --check")


if __name__ == "__main__":
    _main(sys.argv[1:])
