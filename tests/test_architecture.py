"""The layers and the public API: what a new maintainer and a user can rely on."""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys

import mockserver

from helpers import REPO

WEB_FRAMEWORKS = ("starlette", "ariadne", "uvicorn", "h11", "httptools")


def modules_loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_the_core_and_the_store_import_no_web_framework():
    import mockserver.core
    import mockserver.store

    names = [f"mockserver.core.{m.name}" for m in pkgutil.iter_modules(mockserver.core.__path__)]
    names += [f"mockserver.store.{m.name}" for m in pkgutil.iter_modules(mockserver.store.__path__)]
    assert "mockserver.core.emulator" in names and "mockserver.store.sqlite" in names
    loaded = modules_loaded_by("\n".join(f"import {name}" for name in names))
    assert not top_level(loaded) & set(WEB_FRAMEWORKS), sorted(top_level(loaded) & set(WEB_FRAMEWORKS))
    assert "mockserver.web" not in loaded and "mockserver.graphql" not in loaded
    core_alone = modules_loaded_by("\n".join(f"import {name}" for name in names if name.startswith("mockserver.core.")))
    assert not {m for m in core_alone if m.startswith("mockserver.store.")}, "the core depends on the store's protocol only"


def test_signing_needs_only_the_standard_library():
    loaded = top_level(modules_loaded_by("from mockserver import sign, verify_signature"))
    at_start = top_level(modules_loaded_by("pass"))  # what the interpreter's own site hooks load
    third_party = loaded - at_start - set(sys.stdlib_module_names) - {"mockserver"}
    assert not third_party, sorted(third_party)


def test_the_public_api_is_what_all_names():
    expected = {"create_app", "Settings", "ApiError", "verify_signature", "sign", "WebhookReceiver",
                "DoitongMock", "AsyncDoitongMock", "__version__"}
    assert expected <= set(mockserver.__all__)
    for name in mockserver.__all__:
        assert getattr(mockserver, name) is not None, name
    assert issubclass(mockserver.ApiError, Exception)
    assert mockserver.verify_signature("s", b"{}", mockserver.sign("s", b"{}"))


def test_all_names_exactly_the_public_members():
    """As httpx's test_exported_members: a public name added without `__all__`, or listed there
    and missing, fails; `__all__` stays sorted. Subpackages are modules, not members."""
    import types

    members = {name for name, value in vars(mockserver).items()
               if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    lazy = set(mockserver._WHERE)  # served on first use by the module's __getattr__
    assert set(mockserver.__all__) == members | lazy | {"__version__"}
    assert mockserver.__all__ == sorted(mockserver.__all__)
    assert set(dir(mockserver)) == set(mockserver.__all__)


def test_the_readme_imports_only_the_public_api():
    readme = (REPO / "README.md").read_text()
    imports = re.findall(r"^\s*(?:from|import) (mockserver[\w.]*)", readme, flags=re.M)
    assert imports, "the README shows no Python import at all"
    assert set(imports) == {"mockserver"}, imports


def test_importing_the_pytest_plugin_loads_nothing_heavy():
    loaded = top_level(modules_loaded_by("import mockserver.testing.pytest_plugin"))
    heavy = {"httpx", "pydantic", "yaml", "starlette", "uvicorn", "ariadne", "graphql", "faker", "numpy", "av"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_the_checker_is_a_client_and_loads_no_server():
    """`doitong-mock check` runs (here against a port nobody listens on) without importing the
    server's frameworks, every module of the checker loaded and its expectations built."""
    import mockserver.check

    names = [f"mockserver.check.{m.name}" for m in pkgutil.iter_modules(mockserver.check.__path__)]
    assert {"mockserver.check.client", "mockserver.check.spend", "mockserver.check.cli"} <= set(names)
    code = "\n".join([
        *(f"import {name}" for name in names),
        "from mockserver.check import expectations",
        "expectations.schema(); expectations.openapi(); expectations.fixtures()",
        "import socket",
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()",
        "from mockserver.cli import main",
        "try:",
        "    main(['check', f'http://127.0.0.1:{port}', '--key', 'k', '--json'])",
        "except SystemExit as exit:",
        "    assert exit.code == 2, exit.code",
    ])
    loaded = modules_loaded_by(code)
    server = set(WEB_FRAMEWORKS) - {"h11"}  # h11 is httpx's too: a client speaks HTTP/1.1 with it
    assert not top_level(loaded) & server, sorted(top_level(loaded) & server)
    assert "mockserver.graphql" not in loaded and "mockserver.web.app" not in loaded


# What each part of the package may import (besides itself): the layers, bottom up. The store
# and the surfaces sit on the core; the wire code on the core; GraphQL on the wire; the HTTP
# surface (web) on all of them; the testing helpers and the command line on top. The checker is
# a client: it may read the wire code (the OpenAPI document) but no surface.
LAYERS = {
    "speed": set(),
    "settings": {"speed"},
    "core": {"settings", "speed", "mockserver"},
    "store": {"core", "settings"},
    "wire": {"core", "speed", "mockserver"},
    "graphql": {"core", "wire"},
    "web": {"core", "store", "wire", "graphql", "settings", "mockserver"},
    "testing": {"core", "wire", "web", "settings"},
    "check": {"core", "wire", "mockserver"},
    "cli": {"core", "store", "web", "check", "settings", "speed", "mockserver"},
    "__main__": {"cli"},
    "healthcheck": set(),
    # The package's own __init__ names the public API (served lazily, on first use).
    "mockserver": {"core", "settings", "testing", "web"},
}


def package_imports() -> dict[str, set[str]]:
    """Which parts of the package each part imports, read from the source (every import,
    those only for type checking included)."""
    import ast

    root = REPO / "mockserver"
    found: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        part = parts[0] if len(parts) > 1 else ("mockserver" if parts[0] == "__init__" else parts[0])
        module = ["mockserver", *parts[:-1]] if path.name == "__init__.py" else ["mockserver", *parts]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = module[: len(module) - node.level + (1 if path.name == "__init__.py" else 0)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "mockserver":
                target = node.module.split(".")
            else:
                continue
            names = [target[1]] if len(target) > 1 else [a.name for a in node.names]
            for name in names:
                other = name if (root / name).is_dir() or (root / f"{name}.py").exists() else "mockserver"
                if other != part:
                    found.setdefault(part, set()).add(other)
    return found


def test_imports_point_one_way_through_the_layers():
    found = package_imports()
    assert set(found) <= set(LAYERS), set(found) - set(LAYERS)
    wrong = {part: sorted(imports - LAYERS[part]) for part, imports in found.items() if imports - LAYERS[part]}
    assert not wrong, wrong


def test_the_layers_have_no_cycle():
    found = package_imports()
    for part in found:
        seen, stack = set(), list(found.get(part, set()) - {"mockserver"})
        while stack:
            other = stack.pop()
            assert other != part, f"{part} reaches itself through its imports"
            if other not in seen:
                seen.add(other)
                stack.extend(found.get(other, set()) - {"mockserver"})
