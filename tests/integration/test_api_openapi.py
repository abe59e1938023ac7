"""docs/openapi.yaml and the router agree: every routed (method, path) is in the spec, every spec operation is
routed, the spec is OpenAPI 3.1, every path parameter is declared, and every route that needs a login
documents 401."""
import os

import yaml

import lib
from apilib import routes
from lib import eq, test

METHODS = {"get", "post", "put", "patch", "delete"}


def spec():
    with open(os.path.join(lib.ROOT, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)


def resolve(doc, obj):
    if isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return node
    return obj


@test
def spec_is_openapi_31():
    s = spec()
    assert str(s["openapi"]).startswith("3.1"), s["openapi"]
    assert s["info"]["title"] and s["paths"]


@test
def every_route_is_in_the_spec_and_every_spec_path_is_routed():
    s = spec()
    in_spec = {(m.upper(), p) for p, ops in s["paths"].items() for m in ops if m in METHODS}
    routed = {(r["method"], r["path"]) for r in routes()}
    eq(sorted(routed - in_spec), [], "routes missing from docs/openapi.yaml")
    eq(sorted(in_spec - routed), [], "spec operations that are not routed")


@test
def path_parameters_are_declared_and_errors_documented():
    s = spec()
    access = {(r["method"], r["path"]): r for r in routes()}
    for path, ops in s["paths"].items():
        want = {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}
        common = [resolve(s, p) for p in ops.get("parameters", [])]
        for m, op in ops.items():
            if m not in METHODS:
                continue
            params = common + [resolve(s, p) for p in op.get("parameters", [])]
            have = {p["name"] for p in params if p.get("in") == "path"}
            eq(have, want, f"{m} {path} path parameters")
            r = access[(m.upper(), path)]
            if r["access"] != "public":
                assert "401" in op["responses"], f"{m} {path} lacks 401"
            if r["access"] == "project":
                assert "404" in op["responses"], f"{m} {path} lacks 404"
            if r["json_body"]:
                assert "application/json" in op["requestBody"]["content"], f"{m} {path} body"
                assert "400" in op["responses"], f"{m} {path} lacks 400"


@test
def every_reference_resolves():
    s = spec()
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s)
    assert len(refs) > 100, len(refs)
    for ref in set(refs):
        assert ref.startswith("#/"), ref
        resolve(s, {"$ref": ref})  # raises KeyError if dangling


if __name__ == "__main__":
    lib.main()
