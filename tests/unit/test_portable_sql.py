"""The models run on DuckDB and on Spark (SPEC 11): no model or analysis spells SQL that only
DuckDB reads. DuckDB's spellings live in the `default__`/`duckdb__` implementations of the
dispatched macros (macros/portable.sql and a few beside the rules they serve), nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.unit

# construct -> pattern, matched case-insensitively in SQL text (Jinja, comments and string
# literals taken out first)
DUCKDB_ONLY = {
    "qualify": r"\bqualify\b",
    "union by name": r"\bunion\s+(all\s+)?by\s+name\b",
    "* exclude (...)": r"\*\s*exclude\s*\(",
    "columns(...)": r"\bcolumns\s*\(",
    "// integer division": r"//",
    "hugeint": r"\bhugeint\b",
    "at time zone": r"\bat\s+time\s+zone\b",
    "as [not] materialized": r"\bas\s+(not\s+)?materialized\b",
    "date_diff('unit', ...)": r"\bdate_?diff\s*\(\s*'",
    "generate_series / range table function": r"\b(generate_series|range)\s*\(",
    "unnest": r"\bunnest\s*\(",
    ":: cast": r"::",
    "varchar without a length": r"\bvarchar\b(?!\s*\()",
    "timestamptz": r"\btimestamptz\b",
    "strftime": r"\bstrftime\s*\(",
    "epoch_us": r"\bepoch_(us|ms)\s*\(",
    "string_agg": r"\bstring_agg\s*\(",
    "regexp_matches": r"\bregexp_matches\s*\(",
    "list function": r"\blist_\w+\s*\(",
    "arg_min / arg_max": r"\barg_(min|max)\s*\(",
    "bit shift": r">>|<<",
    "row(...)": r"\brow\s*\(",
    "struct_pack": r"\bstruct_pack\s*\(",
    "count(distinct ...) over": r"\bcount\s*\(\s*distinct\b[^()]*\)\s*over\b",
    "named window extended in over (...)": r"\bover\s*\(\s*\w+\s+(order|rows|range)\b",
    "ordered aggregate first(... order by)": r"\bfirst\s*\([^()]*\border\s+by\b",
    "regexp_full_match": r"\bregexp_full_match\s*\(",
    # use `interval n month`
    "to_months() and the like": r"\bto_(years|months|weeks|days|hours|minutes|seconds)\s*\(",
    # Spark's chr(n) is chr(n % 256): a character above U+00FF is written as a Jinja escape
    "chr() above 255": r"\bchr\s*\(\s*(25[6-9]|2[6-9]\d|[3-9]\d\d|\d{4,})\s*\)",
}
# SQL functions only DuckDB has, searched in the models' YAML too (test expressions)
DUCKDB_ONLY_FUNCTIONS = {
    name: DUCKDB_ONLY[name]
    for name in (
        "date_diff('unit', ...)",
        ":: cast",
        "strftime",
        "epoch_us",
        "string_agg",
        "regexp_matches",
        "regexp_full_match",
        "chr() above 255",
        "arg_min / arg_max",
        "struct_pack",
    )
} | {
    # `from range(n)` is a table function Spark has too
    "generate_series": r"\bgenerate_series\s*\(",
    "hugeint": r"\bas\s+hugeint\b",
    "timestamptz": r"\bas\s+timestamptz\b",
}
# macros that name DuckDB's spellings to translate them
TRANSLATORS = {"spark__column_type"}
# in SQL text of models only: Jinja lists are written with brackets in macros
LIST_LITERAL = r"\["

JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
LINE_COMMENT = re.compile(r"--[^\n]*")
STRING = re.compile(r"'(?:[^']|'')*'")
MACRO = re.compile(r"\{%-?\s*macro\s+(\w+).*?\{%-?\s*endmacro\s*-?%\}", re.S)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _blank(match: re.Match) -> str:
    """The match replaced by spaces, its newlines kept (line numbers stay right)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _sql_text(text: str) -> str:
    text = JINJA.sub(_blank, text)
    text = LINE_COMMENT.sub(_blank, text)
    return STRING.sub(lambda match: "'" + _blank(match)[1:-1] + "'", text)


def _findings(name: str, text: str, patterns: dict[str, str]) -> list[str]:
    found = []
    for construct, pattern in patterns.items():
        for match in re.finditer(pattern, text, re.I):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{name}:{line}: {construct}")
    return found


def _name(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _backslash_literals(name: str, text: str) -> list[str]:
    """String literals holding a backslash: Spark reads it as an escape (`'\\'` does not even
    end the literal), DuckDB as itself."""
    text = LINE_COMMENT.sub(_blank, JINJA.sub(_blank, text))
    return [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: backslash in a string literal"
        for match in STRING.finditer(text)
        if "\\" in match.group(0)
    ]


def duckdb_only_in_sql(name: str, text: str) -> list[str]:
    """Where a model or analysis file spells a DuckDB-only construct: 'file:line: construct'."""
    found = _findings(name, _sql_text(text), {**DUCKDB_ONLY, "list literal [...]": LIST_LITERAL})
    return found + _backslash_literals(name, text)


def duckdb_only_in_macros(path: Path) -> list[str]:
    """The same for a macro file, outside the DuckDB implementations of dispatched macros
    (`default__*`, `duckdb__*`), Jinja comments and SQL comments set aside."""
    text = JINJA_COMMENT.sub(_blank, path.read_text(encoding="utf-8"))
    text = LINE_COMMENT.sub(_blank, text)

    def keep_unless_duckdb(match: re.Match) -> str:
        name = match.group(1)
        skipped = name.startswith(("default__", "duckdb__")) or name in TRANSLATORS
        return _blank(match) if skipped else match.group(0)

    text = MACRO.sub(keep_unless_duckdb, text)
    return _findings(_name(path), text, DUCKDB_ONLY)


def _sql_files(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.sql"))


def test_models_analyses_and_data_tests_spell_no_duckdb_only_sql():
    files = _sql_files("models") + _sql_files("analysis") + _sql_files("tests/dbt")
    assert files
    found = [
        finding
        for path in files
        for finding in duckdb_only_in_sql(_name(path), path.read_text(encoding="utf-8"))
    ]
    assert not found, (
        "DuckDB-only SQL outside a dispatched macro (use the macros of macros/portable.sql):\n"
        + "\n".join(found)
    )


def test_model_yaml_test_expressions_call_no_duckdb_only_function():
    files = sorted((REPO / "models").rglob("*.yml"))
    assert files
    found = [
        finding
        for path in files
        for finding in _findings(
            _name(path), JINJA.sub(_blank, path.read_text(encoding="utf-8")), DUCKDB_ONLY_FUNCTIONS
        )
    ]
    assert not found, "DuckDB-only SQL functions in test expressions:\n" + "\n".join(found)


def test_macros_spell_duckdb_only_sql_only_in_their_duckdb_implementations():
    files = _sql_files("macros")
    assert files
    found = [finding for path in files for finding in duckdb_only_in_macros(path)]
    assert not found, (
        "DuckDB-only SQL in a macro that is not a default__/duckdb__ implementation:\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select * from t qualify row_number() over (order by a) = 1", "qualify"),
        ("select a from t union all by name select a from u", "union by name"),
        ("select t.* exclude (a) from t", "* exclude (...)"),
        ("select a // 2 from t", "// integer division"),
        ("select cast(a as hugeint) from t", "hugeint"),
        ("select a::bigint from t", ":: cast"),
        ("select cast(a as varchar) from t", "varchar without a length"),
        ("select date_diff('day', a, b) from t", "date_diff('unit', ...)"),
        ("select unnest([1, 2])", "list literal [...]"),
        ("select count(distinct a) over (partition by b) from t", "count(distinct ...) over"),
        ("select first(a order by b) from t", "ordered aggregate first(... order by)"),
        ("select a from t where a like '%\\_x' escape '\\'", "backslash in a string literal"),
    ],
)
def test_the_scan_names_file_line_and_construct(sql, construct):
    text = "-- a comment: hugeint // qualify\nwith\n" + sql + "\n"
    found = duckdb_only_in_sql("models/probe.sql", text)
    assert f"models/probe.sql:3: {construct}" in found, found
    assert all(":1:" not in f for f in found), found


def test_the_scan_ignores_jinja_comments_and_string_literals():
    text = "{#- hugeint // qualify -#}\nselect '[' || 'a::b' as x -- union all by name\nfrom t\n"
    assert not duckdb_only_in_sql("models/probe.sql", text)


def test_contract_and_seed_types_are_spelled_for_both_engines():
    """A `varchar` type without a length is DuckDB's: Spark refuses it in DDL (a contract's
    empty-schema check, a seed's column_types). Both engines read `string`."""
    bare_varchar = re.compile(r"^\s*(data_type:|\w+:)\s*varchar\s*$", re.I)
    files = [REPO / "dbt_project.yml", *sorted((REPO / "models").rglob("*.yml"))]
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        if not path.name.endswith("__sources.yml")  # read by the loader, not by dbt's DDL
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if bare_varchar.match(line)
    ]
    assert not found, "spell these types `string`:\n" + "\n".join(found)


# the Python modules whose SQL runs on the warehouse of either engine once dbt has built it (the
# close's readers and the mart suites; tests/spark/test_close_reads.py runs them on Spark)
ENGINE_READERS = [
    *sorted((REPO / "src" / "automq_billing" / "close").glob("*.py")),
    REPO / "src" / "automq_billing" / "validation" / "mart_suites.py",
]


def _sql_literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a Python module that hold a `select`: (line, text)."""
    import ast

    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"\bselect\b", node.value, re.I)
    ]


def test_the_sql_the_close_reads_with_spells_nothing_only_duckdb_reads():
    assert all(path.exists() for path in ENGINE_READERS)
    found = [
        finding.replace(f"{_name(path)}:{line}:", f"{_name(path)}:{line}+")
        for path in ENGINE_READERS
        for line, sql in _sql_literals(path)
        for finding in _findings(f"{_name(path)}:{line}", _sql_text(sql), DUCKDB_ONLY)
    ]
    assert len(found) == 0, "DuckDB-only SQL in what the close reads:\n" + "\n".join(found)


def test_the_python_scan_finds_a_bare_varchar(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('SQL = """\nselect cast(a as varchar) from t\n"""\n', encoding="utf-8")
    [(line, sql)] = _sql_literals(probe)
    assert _findings("probe", _sql_text(sql), DUCKDB_ONLY) == ["probe:2: varchar without a length"]
