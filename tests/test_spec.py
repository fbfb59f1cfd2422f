"""The shared spec machinery (spm_sim._spec): one line per problem in a located message,
Spec.replace validating again with the spec's own error and name, and YAML read within
bounds (size, depth, aliases) with every problem located."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import Field, model_validator

from spm_sim._spec import Number, Share, Spec, load_spec, read_yaml, spec_source
from spm_sim.errors import CapacityError, DataError, SpecError

Seats = Annotated[int, Field(ge=1)]


class Team(Spec):
    """A small spec with the shapes pydantic reports twice: tuples with a minimum
    length, and unions of a word or a number and a tuple."""

    name: str = Field(min_length=1)
    seats: tuple[Seats, ...] = Field(min_length=1)
    pairs: tuple[Seats, ...] = Field((1, 1), min_length=2)
    split: Literal["even"] | tuple[Share, ...] = "even"
    factor: Annotated[float, Field(gt=0.0, le=2.0)] | tuple[Share, ...] | None = None


class Room(Spec):
    """A spec holding another, as a scenario holds its quota settings."""

    team: Team
    rooms: tuple[Team, ...] = Field((), max_length=3)


GOOD: dict[str, Any] = {"name": "AE", "seats": [2]}


def problems(model: type[Spec], data: dict[str, Any]) -> list[str]:
    """The lines of the message, after checking its head counts them."""
    with pytest.raises(SpecError) as info:
        load_spec(model, data, where="t.yaml")
    head, *lines = str(info.value).splitlines()
    assert head == f"t.yaml: {len(lines)} problem(s) in this {model.__name__.lower()} spec:"
    return lines


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        # a bad item of a tuple with min_length: not also "at least 1 item ... not 0"
        ({"seats": [0]}, "  - seats[0]: Input should be greater than or equal to 1 (got 0)"),
        ({"pairs": [0, 2]}, "  - pairs[0]: Input should be greater than or equal to 1 (got 0)"),
        # a union: the branch that took the value speaks, without its pydantic label
        ({"split": [0.5, 2]}, "  - split[1]: Input should be less than or equal to 1 (got 2)"),
        ({"factor": 3}, "  - factor: Input should be less than or equal to 2 (got 3)"),
        (
            {"factor": [0.5, -1]},
            "  - factor[1]: Input should be greater than or equal to 0 (got -1)",
        ),
        # no branch takes it: both words on one line
        (
            {"split": "odd"},
            "  - split: Input should be 'even'; or a valid tuple (got 'odd')",
        ),
        # a tuple given too few items in the first place keeps its line
        (
            {"seats": []},
            "  - seats: Tuple should have at least 1 item after validation, not 0 (got [])",
        ),
    ],
)
def test_one_problem_gives_one_line(changes, line):
    assert problems(Team, GOOD | changes) == [line]


def test_a_nested_spec_is_located_through_its_parent():
    lines = problems(Room, {"team": GOOD | {"seats": [0], "split": [2]}})
    assert lines == [
        "  - team.seats[0]: Input should be greater than or equal to 1 (got 0)",
        "  - team.split[0]: Input should be less than or equal to 1 (got 2)",
    ]
    lines = problems(Room, {"team": GOOD, "rooms": [GOOD, GOOD | {"seats": [0]}]})
    assert lines == ["  - rooms[1].seats[0]: Input should be greater than or equal to 1 (got 0)"]


def test_several_independent_problems_give_one_line_each():
    lines = problems(
        Team,
        {"name": "", "seats": [0, 2, 0], "split": "odd", "factor": 3, "colour": "red"},
    )
    assert lines == [
        "  - name: String should have at least 1 character (got '')",
        "  - seats[0]: Input should be greater than or equal to 1 (got 0)",
        "  - seats[2]: Input should be greater than or equal to 1 (got 0)",
        "  - split: Input should be 'even'; or a valid tuple (got 'odd')",
        "  - factor: Input should be less than or equal to 2 (got 3)",
        "  - colour: unknown field 'colour'. Allowed here: factor, name, pairs, seats, split.",
    ]


def test_too_few_items_and_a_bad_item_are_two_problems():
    # one item where two are needed, and that item is bad: both are real
    assert problems(Team, GOOD | {"pairs": [0]}) == [
        "  - pairs[0]: Input should be greater than or equal to 1 (got 0)",
        "  - pairs: Tuple should have at least 2 items after validation, not 0 (got [0])",
    ]


class Crew(Spec):
    """A spec with its own error, its own name in messages and a name replace takes
    besides its fields (as quota settings take their method's settings flat)."""

    _error: ClassVar[type[SpecError]] = CapacityError
    name: str = "inbound"
    seats: tuple[Seats, ...] = Field((1,), min_length=1)
    size: int = Field(1, ge=1)

    def _label(self) -> str:
        return f"crew {self.name!r}"

    def _settable(self) -> list[str]:
        return [*type(self).model_fields, "headcount"]

    def replace(self, **changes: Any) -> Crew:
        if "headcount" in changes:
            changes["size"] = changes.pop("headcount")
        return super().replace(**changes)


def test_replace_validates_again_with_the_spec_s_error_and_name():
    crew = Crew()
    assert crew.replace(seats=(2, 3)).seats == (2, 3)
    assert crew.replace(headcount=4).size == 4
    with pytest.raises(CapacityError) as info:
        crew.replace(seats=(0,))
    assert str(info.value) == (
        "crew 'inbound': 1 problem(s) in this crew spec:\n"
        "  - seats[0]: Input should be greater than or equal to 1 (got 0)"
    )
    with pytest.raises(CapacityError, match=r"^crew 'inbound': unknown field 'headcont'\. "):
        crew.replace(headcont=4)
    with pytest.raises(CapacityError, match=r"Did you mean 'headcount'\? Allowed: name, seats"):
        crew.replace(headcont=4)


# --------------------------------------------------------------------------------------
# read_yaml: bounded (size, depth, aliases), every problem located, no traceback
# --------------------------------------------------------------------------------------

#: nine levels of nine aliases: 9**9 (387 million) strings from a 400-byte file
BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def refused(path, *, within: float = 1.0) -> str:
    """The message of read_yaml's SpecError for ``path``, checked to come in time (the
    bounds are far from ``within``: a loaded machine does not make these flaky)."""
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        read_yaml(path)
    elapsed = time.perf_counter() - start
    assert elapsed < within, f"took {elapsed:.2f} s"
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "Traceback" not in message and "\n" not in message
    return message


def test_an_alias_bomb_is_refused_at_once_and_names_the_file(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert path.stat().st_size < 700
    message = refused(path, within=0.5)
    assert re.search(r"refused at line \d, column \d+: aliases expand the file", message)
    assert "more than 100,000 values" in message and "alias bomb" in message


def test_too_many_aliases_are_refused(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("a: &a 1\nb: [" + ", ".join(["*a"] * 10_001) + "]\n", encoding="utf-8")
    assert "more than 10,000 aliases" in refused(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: " + "[" * 500 + "]" * 500 + "\n", 1),  # flow style
        ("a: " + "[" * 50_000 + "]" * 50_000 + "\n", 1),  # (libyaml stops at 1,000)
        ("a:\n" + "".join("  " * i + "k:\n" for i in range(1, 200)), 64),  # block style
    ],
)
def test_a_deep_nest_is_refused_without_a_traceback(tmp_path, text, line):
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    message = refused(path)
    assert f"line {line}," in message
    assert "nested more than 64 levels deep" in message


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" + "#" * (1 << 20) + "\n", encoding="utf-8")
    message = refused(path, within=0.1)
    assert f"the file is {path.stat().st_size:,} bytes" in message
    assert "at most 1,048,576 bytes (1 MiB)" in message


def test_too_many_values_are_refused(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("a: [" + ",".join(["1"] * 120_000) + "]\n", encoding="utf-8")
    assert path.stat().st_size < 1 << 20
    assert "the file holds more than 100,000 values" in refused(path, within=30.0)


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a\n  - 1\n  - *a\n", encoding="utf-8")
    assert "line 3, column 5: alias *a repeats a value that contains it" in refused(path)


def test_legitimate_anchors_aliases_and_merge_keys_still_load(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "base: &tier {start: 0.0, end: 1.0, rate: 1.0}\n"
        "tiers: [*tier, {<<: *tier, start: 1.0, end: null, rate: 2.0}]\n"
        "again: *tier\n",
        encoding="utf-8",
    )
    data = read_yaml(path)
    assert data["tiers"] == [
        {"start": 0.0, "end": 1.0, "rate": 1.0},
        {"start": 1.0, "end": None, "rate": 2.0},
    ]
    assert data["again"] == data["base"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rate: 0.05\nrate: 0.5\n", "line 2, column 1: key 'rate' is given twice in one mapping"),
        ("day: 2025-02-30\n", "line 1, column 6: cannot read '2025-02-30' (day is out of range"),
        ("rate: !!float abc\n", "line 1, column 7: cannot read 'abc'"),
        ("n: " + "9" * 5_000 + "\n", "line 1, column 4: cannot read '999"),
        ("a: !!timestamp x\n", "line 1, column 4: cannot read 'x'"),
        ("[1, 2]: a\n", "not valid YAML at line 1"),
        ("a: *nowhere\n", "found undefined alias"),
        ("a: 1\n---\nb: 2\n", "but found another document"),
        ("- 1\n", "expected a mapping of fields"),
        ("rate: !!python/object:os.system x\n", "could not determine a constructor"),
    ],
)
def test_every_yaml_problem_is_located(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert expected in refused(path)


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"a: \xff\xfe\x00\x01")
    assert "not UTF-8 text" in refused(path)


def test_read_yaml_raises_the_error_class_it_is_given(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(CapacityError, match="key 'a' is given twice"):
        read_yaml(path, error=CapacityError)
    with pytest.raises(DataError, match="key 'a' is given twice"):
        read_yaml(path, error=DataError)


def test_non_finite_and_huge_numbers_are_refused_where_a_number_goes(tmp_path):
    class Rate(Spec):
        value: Number = 0.0
        share: Share = 0.5

    for text, field in [
        ("value: .inf\n", "value: Input should be a finite number"),
        ("value: .nan\n", "value: Input should be a finite number"),
        ("value: -.inf\n", "value: Input should be a finite number"),
        ("value: 1.0e400\n", "value: Input should be a finite number"),
        ("share: .nan\n", "share: Input should be a finite number"),
        ("value: " + "9" * 400 + "\n", "value: Input should be a valid number"),
        ("value: yes\n", "value: expected a number, got True"),
        ("1: 2\n", "[1]: Keys should be strings (got 1)"),
    ]:
        path = tmp_path / "rate.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match=re.escape(field)):
            load_spec(Rate, path)


def test_spec_source_names_the_file_while_it_is_validated(tmp_path):
    seen: list[str | None] = []

    class Probe(Spec):
        value: int = 0

        @model_validator(mode="after")
        def _record(self) -> Probe:
            seen.append(spec_source())
            return self

    path = tmp_path / "probe.yaml"
    path.write_text("value: 1\n", encoding="utf-8")
    load_spec(Probe, path)
    load_spec(Probe, {"value": 2})
    load_spec(Probe, {"value": 3}, where="scenario.yaml")
    assert seen == [str(path), None, "scenario.yaml"]
    assert spec_source() is None


def test_a_folder_given_for_a_file_is_named_as_a_folder(tmp_path):
    # `spm-sim curve plans/` used to say "file not found" about a folder that exists
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "base.yaml").write_text("name: x\n")
    with pytest.raises(SpecError, match=r"plans: is a folder \(it holds base\.yaml\), and a YAML"):
        read_yaml(tmp_path / "plans")
