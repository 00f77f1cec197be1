"""Field docstrings (the string under a field) read from a class's module, parsing it once.

pydantic can read them itself (`use_attribute_docstrings`), but before Python 3.13 it parses the
whole module again for every class it meets, in every schema it builds: that was two seconds of
the control API's document and a fifth of a second of start-up for the request models.
"""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache


def field_docs(cls: type) -> dict[str, str]:
    """A class's own field docstrings, by field name (not those of its bases); none for a class
    whose source is not ours to read."""
    if not cls.__module__.startswith(__package__.partition(".")[0] + "."):
        return {}
    return _module_docs(cls.__module__).get(cls.__qualname__, {})


@cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {
                field.target.id: inspect.cleandoc(after.value.value)
                for field, after in zip(node.body, node.body[1:], strict=False)
                if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            }
    return found
