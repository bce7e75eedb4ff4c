"""Offline validation of Kubernetes objects against the Prometheus Operator CRD schemas pinned
in lookout/deploy/crds/, with the `jsonschema` library (OpenAPI v3 schemas are JSON Schema
for the keywords CRDs allow).

Strict, as `kubeconform -strict` and `kubectl --validate=strict`: a field the schema does
not declare is an error, unless the schema says `x-kubernetes-preserve-unknown-fields` or
gives `additionalProperties`. AlertmanagerConfig child routes are stored unvalidated by the
API server (preserve-unknown-fields) and parsed by the operator as routes, so they are
checked against the route schema here.

    errors(obj) -> list[str]     # "<kind> <name>: <path>: <message>", empty when valid
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

CRDS = Path(__file__).resolve().parent / "crds"


@lru_cache(maxsize=None)
def pinned() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the pinned file's content."""
    out = {}
    for path in sorted(CRDS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        out[f"{doc['group']}/{doc['version']}", doc["kind"]] = doc
    return out


def strict(schema: dict) -> dict:
    """`schema` with every object that lists its properties closed to others."""
    schema = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)
    close(schema)
    return schema


def _validator(api_version: str, kind: str):
    import jsonschema
    doc = pinned()[api_version, kind]
    return jsonschema.Draft4Validator(strict(doc["openAPIV3Schema"]))


def errors(obj: dict) -> list[str]:
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    name = f"{key[1]} {(obj.get('metadata') or {}).get('name', '?')}"
    if key not in pinned():
        return [f"{name}: no pinned schema for {key[0]} {key[1]}"]
    found = [f"{name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
             for e in _validator(*key).iter_errors(obj)]
    if key[1] == "AlertmanagerConfig":
        route_schema = {"type": "object",
                        **strict(pinned()[key]["openAPIV3Schema"])["properties"]["spec"]["properties"]["route"]}
        import jsonschema
        validator = jsonschema.Draft4Validator(route_schema)

        def walk(route: dict, path: str) -> None:
            for i, child in enumerate(route.get("routes") or []):
                here = f"{path}/routes/{i}"
                found.extend(f"{name}: {here}/{'/'.join(map(str, e.absolute_path))}: {e.message}".replace("//", "/")
                             for e in validator.iter_errors(child))
                if isinstance(child, dict):
                    walk(child, here)
        walk((obj.get("spec") or {}).get("route") or {}, "spec/route")
    return found
