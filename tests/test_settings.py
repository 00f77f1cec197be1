"""One place for every default: `Settings`, the command line and the README's table agree."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from mockserver import Settings
from mockserver.cli import build_parser
from mockserver.settings import cli_options

from helpers import REPO


def readme_option_rows() -> dict[str, tuple[str, str]]:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Command line", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        flag = re.match(r"`(--[\w-]+)", cells[0]).group(1)
        env = re.match(r"`(DOITONG_MOCK_\w+)", cells[1]).group(1)
        rows[flag] = (env, cells[2].strip("`"))
    return rows


def test_the_readme_table_lists_every_option_with_its_variable_and_default():
    rows = readme_option_rows()
    options = {o.cli.flag: (o.cli.env, o.shown) for o in cli_options()}
    assert rows == options


def test_the_command_line_help_shows_each_default_once_from_settings():
    help_text = " ".join(build_parser().format_help().split())
    for option in cli_options():
        assert f"{option.cli.flag}" in help_text
        assert f"default: {option.shown}; ${option.cli.env}" in help_text


def test_settings_convert_the_strings_of_a_command_line_and_keep_their_types():
    s = Settings(speed="10x", fixtures="fx", webhook_allow="a.test, *.b.test", public_url="http://m:8080/", port="9000")
    assert (s.speed, str(s.fixtures), s.webhook_allow, s.public_url, s.port) == (10.0, "fx", ("a.test", "*.b.test"), "http://m:8080", 9000)
    assert Settings().speed == 1.0 and Settings(speed="instant").speed == float("inf")


@pytest.mark.parametrize("bad", [{"speed": "warp"}, {"port": 70000}, {"clock": "sundial"}, {"webhook_timeout": 0}, {"nope": 1}])
def test_bad_settings_are_refused_with_the_field(bad):
    with pytest.raises(ValidationError) as info:
        Settings(**bad)
    assert next(iter(bad)) in str(info.value)


def test_every_variable_the_compose_file_reads_is_in_the_readme_with_its_default():
    """docker-compose.yml's `${VAR:-default}` and passed-through `VAR:` against the README's table."""
    compose = (REPO / "docker-compose.yml").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in compose.splitlines())
    substituted = dict(re.findall(r"\$\{(\w+):-([^}]*)\}", code))
    passed_through = set(re.findall(r"^\s+(DOITONG_MOCK_\w+):\s*$", code, re.M))
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Docker / docker-compose", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows[cells[0].strip("`")] = cells[1].strip("`")
    assert set(rows) == set(substituted) | passed_through
    for variable, default in substituted.items():
        assert rows[variable] == default, variable
    for variable in passed_through:
        assert rows[variable] == "unset", variable
    assert substituted["DOITONG_MOCK_HOST_IP"] == "127.0.0.1"  # published on loopback unless asked


def test_the_graphql_schema_states_the_same_page_and_ledger_defaults_as_the_core():
    """The SDL file writes its defaults out (clients read them by introspection); they are the
    core's, not a second choice."""
    from graphql import build_schema

    from mockserver.core.api import ENTRIES
    from mockserver.core.jobs import PAGE_SIZE

    schema = build_schema((REPO / "mockserver" / "graphql" / "schema.graphql").read_text())

    def default(argument) -> int:
        return int(argument.ast_node.default_value.value)

    assert default(schema.query_type.fields["generations"].args["first"]) == PAGE_SIZE
    assert default(schema.type_map["Credits"].fields["entries"].args["last"]) == ENTRIES


def test_the_checkers_options_have_their_defaults_in_one_place():
    from mockserver.check.cli import build_parser
    from mockserver.check.run import Options

    args = build_parser().parse_args(["http://x"])
    for name in ("surface", "webhook_wait", "max_requests", "job_timeout", "timeout"):
        assert getattr(args, name) == getattr(Options, name), name
    assert f"(default: {Options.max_requests})" in " ".join(build_parser().format_help().split())
