"""The shared spec machinery (spm_sim._spec): one line per problem in a located message,
and Spec.replace validating again with the spec's own error and name."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import Field

from spm_sim._spec import Share, Spec, load_spec
from spm_sim.errors import CapacityError, SpecError

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
