"""Helpers shared by the tests/integration/test_api_*.py files: a server with its admin, users with tokens,
a project with a schema and items, as fast as possible (tokens come from the CLI, not from logins)."""
import json
import os
import re
import subprocess

import lib

SCHEMA = {
    "format": 1,
    "name": "test",
    "modalities": ["text", "image"],
    "controls": [
        {"name": "label", "kind": "classification", "required": True,
         "labels": [{"value": "yes"}, {"value": "no"}, {"value": "maybe"}]},
    ],
}


def body(v="yes"):
    """An annotation body valid against SCHEMA."""
    return {"format": 1, "results": [{"id": "r1", "control": "label", "choices": [v]}]}


def label_of(b):
    return b["results"][0]["choices"][0]


class Env:
    """A running server on a fresh data folder, the admin logged in by cookie, helpers for users."""

    def __init__(self, extra_args=()):
        self.dir = lib.tmpdir()
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.srv = lib.Server(self.data, extra_args=extra_args)

    def __enter__(self):
        self.srv.__enter__()
        m = re.search(r"one-time password:\s+(\S+)", self.srv.read_log())
        assert m, "no admin password printed: " + self.srv.read_log()
        self.admin_password = m.group(1)
        self.admin = self.srv.client()
        r = self.admin.post("/api/v1/login", {"name": "admin", "password": self.admin_password})
        assert r.status == 200, r.body
        assert r.json()["must_change_password"] is True, r.body
        self.admin.csrf = r.json()["csrf"]
        # the one-time password allows nothing but changing it
        r = self.admin.get("/api/v1/projects")
        assert r.status == 403 and r.json()["error"]["code"] == "password_change_required", r.body
        self.first_password = self.admin_password
        self.admin_password = "the admin's own password"
        r = self.admin.post("/api/v1/me/password", {"old_password": self.first_password,
                                                     "new_password": self.admin_password})
        assert r.status == 200, r.body
        self.admin_token = self.token("admin")
        return self

    def __exit__(self, *exc):
        self.srv.__exit__(*exc)

    def cli(self, *args, input=None, check=True):
        return lib.run(*args, data=self.data, input=input, check=check)

    def token(self, name):
        return self.cli("token", "create", name).stdout.strip()

    def user(self, name, password="correct horse battery", admin=False):
        """Creates a user through the API; returns (id, a token client)."""
        r = self.admin.post("/api/v1/users", {"name": name, "password": password, "admin": admin})
        assert r.status == 201, r.body
        uid = r.json()["id"]
        return uid, self.srv.client(token=self.token(name))

    def project(self, name, items=3, overlap=None, schema=SCHEMA):
        c = self.srv.client(token=self.admin_token)
        r = c.post("/api/v1/projects", {"name": name})
        assert r.status == 201, r.body
        pid = r.json()["id"]
        if schema is not None:
            r = c.put(f"/api/v1/projects/{pid}/schema", {"schema": schema})
            assert r.status == 200, r.body
        if overlap:
            r = c.patch(f"/api/v1/projects/{pid}", {"settings": {"overlap": overlap}})
            assert r.status == 200, r.body
        for i in range(items):
            r = c.post(f"/api/v1/projects/{pid}/items", {"text": f"note {i} with ünïcode", "meta": {"n": i}})
            assert r.status == 201, r.body
        return pid

    def member(self, pid, uid, role):
        c = self.srv.client(token=self.admin_token)
        r = c.put(f"/api/v1/projects/{pid}/members/{uid}", {"role": role})
        assert r.status == 200, r.body


def routes():
    p = lib.run("serve", "--print-routes", "--json")
    return json.loads(p.stdout)
