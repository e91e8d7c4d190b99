import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from speciosa.settings import env_bool, env_int

CLINICAL = Path(__file__).resolve().parents[2] / "src" / "speciosa" / "clinical"


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("SOME_FLAG", False)


def test_env_int_rejects_garbage(monkeypatch):
    monkeypatch.setenv("SOME_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("SOME_INT", 1)


def test_clinical_core_never_imports_django():
    offenders = []
    for path in CLINICAL.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] in {"django", "ninja"}
                or n.startswith("speciosa.")
                and not n.startswith("speciosa.clinical")
            ]
    assert offenders == []


def test_healthz_needs_no_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_pages_require_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
