"""The README's Python snippets run as written: as a script, and as a test under the plugin."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import REPO

pytest_plugins = ["pytester"]


def python_blocks(section: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    text = readme.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_in_process_snippet_runs_as_a_script(tmp_path):
    script, _ = python_blocks("In your own Python tests")
    (tmp_path / "snippet.py").write_text(script)
    ran = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == "completed"


def test_the_asgi_fixture_sample_passes_with_the_runner_the_readme_names(pytester):
    _, sample = python_blocks("In your own Python tests")
    assert "@pytest.mark.anyio" in sample
    pytester.makepyfile(test_sample=sample)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
