"""The reference pages' tables say what the code does.

* docs/reference/layers.md: every example of the layer-spec table builds the layer(s) of its
  "Python equivalent" column, from the shape it says it receives to the shape it passes on.
* docs/reference/bench.md: the options table of ``run_bench`` lists exactly the options the
  benchmark has, with their defaults; the columns table names every column of the report, in order.
"""
import ast
import re
from pathlib import Path

import pytest

import nnscratch as nn
from nnscratch.models import spec

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"


def table(page, first_header):
    """``[[cell, ...], ...]``: the rows of the table of ``page`` whose header starts with ``first_header``
    (cells split at every ``|``: for tables with no ``|`` inside their cells)."""
    rows, inside = [], False
    for line in (REFERENCE / page).read_text().splitlines():
        if line.startswith(f"| {first_header} |"):
            inside = True
        elif inside and line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif inside and not line.startswith("|"):
            break
    assert rows, f"{page} has no table headed {first_header!r}"
    return rows


def _spec_rows():
    text = (REFERENCE / "layers.md").read_text()
    rows = re.findall(r"^\|[^\n]*\| `([^`]+)` \| `(\([^`]*\)) → (\([^`]*\))` \| `([^`]+)` \|", text, re.MULTILINE)
    assert len(rows) >= 19, f"the layer-spec table of layers.md has {len(rows)} example rows"
    return rows


@pytest.mark.parametrize("example, received, passed, python", _spec_rows(), ids=lambda v: str(v)[:40])
def test_layer_spec_table_is_true(example, received, passed, python):
    received, passed = ast.literal_eval(received), ast.literal_eval(passed)
    built = spec._layers(example, received, example)
    expected = eval(f"[{python}]", {"nn": nn})
    assert [layer.get_config() for layer in built] == [layer.get_config() for layer in expected]
    shape = received
    for layer in built:
        shape = layer.output_shape(shape)
    assert tuple(shape) == passed, f"{example}: {received} -> {tuple(shape)}, the table says {passed}"


def test_layer_spec_table_covers_every_token_family():
    """A token the parser knows (a regular expression or an activation name) has a row."""
    examples = [row[0] for row in _spec_rows()]
    families = [spec._CONV, spec._POOL, spec._DENSE, spec._DROPOUT, spec._LEAKY]
    for family in families:
        assert any(family.fullmatch(e) for e in examples), f"no example of {family.pattern}"
    for name in ("bn", "flatten", *(n for n in nn.layers.ACTIVATIONS if n != "linear")):
        assert name in examples or any(e.startswith(name) for e in examples), f"no row for {name}"


def test_bench_options_table_lists_every_option_with_its_default():
    from nnscratch.bench.runner import DEFAULTS
    documented = {row[0].strip("`"): row[1].strip("`") for row in table("bench.md", "option")}
    assert set(documented) == set(DEFAULTS), f"documented {sorted(documented)}, run_bench has {sorted(DEFAULTS)}"
    wrong = {k: v for k, v in documented.items() if ast.literal_eval(v) != DEFAULTS[k]}
    assert not wrong, f"defaults in bench.md that run_bench does not have: {wrong} (they are {DEFAULTS})"


def test_bench_columns_table_names_every_column():
    from nnscratch.bench.report import COLUMNS
    documented = [row[0] for row in table("bench.md", "column")]
    assert documented == [header for header, _, _ in COLUMNS]
