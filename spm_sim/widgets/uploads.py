"""The files the workbench offers: the project's own and the planner's uploads.

:func:`project_files` lists the project's books, plans and scenarios by the names
the menus show; :class:`InputMenus` are those menus and the upload button.
:class:`Uploads` takes uploaded files (name -> bytes), stages each upload in a folder
of its own, checks every file with the library's loaders (whose messages name the
file, row and column) and only then puts it where other files read it. It refuses,
in words: an upload over :data:`MAX_UPLOAD_BYTES`, a file the app does not read, a
plan with the name of one of the project's plans, and a zip that :func:`unzip_book`
refuses (an entry outside its folder, two files of one name, more than
:data:`MAX_UNPACKED_BYTES` unpacked).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import ipywidgets as widgets

from spm_sim._files import write_with
from spm_sim._spec import read_yaml
from spm_sim.book import load_book_ref
from spm_sim.comp import load_plan
from spm_sim.scenario import SAMPLE_PLANS, SAMPLE_SCENARIOS, Scenario, load_scenario

from .levers import LABEL_STYLE, WIDE

__all__ = [
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "READABLE",
    "TRIAL_SIZES",
    "InputMenus",
    "Uploads",
    "project_files",
    "plain_paths",
    "unzip_book",
]

#: the most the files of one upload may weigh together
MAX_UPLOAD_BYTES = 50 * 2**20

#: the most a zipped book may unpack to (a guard against zip bombs)
MAX_UNPACKED_BYTES = 200 * 2**20

#: the suffixes of the files a book, plan or scenario is made of
READABLE = (".csv", ".yaml", ".yml", ".parquet")

#: the trials menus' sizes (more trials: narrower intervals, slower runs)
TRIAL_SIZES = (500, 1000, 2000, 5000)


def _trials_menu(n_trials: int, description: str, tooltip: str, **menu: Any) -> widgets.Dropdown:
    """A menu of :data:`TRIAL_SIZES` (and ``n_trials``), on ``n_trials``."""
    sizes = sorted({*TRIAL_SIZES, int(n_trials)})
    return widgets.Dropdown(
        options=[(f"{n:,}", n) for n in sizes],
        value=int(n_trials),
        description=description,
        tooltip=tooltip,
        **menu,
    )


def _upload_button(tooltip: str) -> widgets.FileUpload:
    """The button that uploads a plan, scenario or book's files (YAML, zip, CSV)."""
    return widgets.FileUpload(
        accept=".yaml,.yml,.zip,.csv",
        multiple=True,
        description="Upload files",
        tooltip=tooltip,
        layout=widgets.Layout(width="200px"),
    )


def project_files(root: Path | None = None) -> dict[str, dict[str, Path]]:
    """The books, plans and scenarios of the project, by the name shown in the menus.

    ``root`` is the project's ``data`` folder (default: the one beside the package,
    which is where the samples live in a source checkout).

    Examples
    --------
    >>> files = project_files()
    >>> "baseline.yaml" in files["plans"], "baseline.yaml" in files["scenarios"]
    (True, True)
    """
    scenarios = SAMPLE_SCENARIOS if root is None else root / "scenarios"
    plans = SAMPLE_PLANS if root is None else root / "plans"
    data = scenarios.parent
    books = {
        f"{p.name} (data/{p.name})": p
        for p in sorted(data.iterdir() if data.is_dir() else [])
        if p.is_dir() and (p / "reps.csv").is_file()
    }
    return {
        "books": books,
        "plans": {p.name: p for p in sorted(plans.glob("*.yaml"))},
        "scenarios": {p.name: p for p in sorted(scenarios.glob("*.yaml"))},
    }


class Uploads:
    """The uploaded books, plans and scenarios, checked and saved under ``workdir``.

    Parameters
    ----------
    workdir : path
        Where uploads are saved: ``workdir/data`` holds a copy of the project's
        plans and books beside the uploads, so that an uploaded scenario's relative
        paths read as in the project's ``data/scenarios`` folder (``../sample``,
        ``../plans/x.yaml``).
    project : dict
        The project's files (:func:`project_files`); an uploaded plan may not take
        the name of one of its plans.

    Attributes
    ----------
    paths : dict of str to dict of str to Path
        ``books``, ``plans`` and ``scenarios``: each upload's menu name
        (``"<file> (uploaded)"``) and where it is saved; ``uploads[kind]`` is
        ``uploads.paths[kind]``.

    Examples
    --------
    >>> import tempfile
    >>> uploads = Uploads(tempfile.mkdtemp(), project_files())
    >>> plan = (SAMPLE_PLANS / "baseline.yaml").read_bytes()
    >>> uploads.add({"mine.yaml": plan})
    [('plans', 'mine.yaml (uploaded)')]
    >>> uploads["plans"]["mine.yaml (uploaded)"].name
    'mine.yaml'
    """

    def __init__(self, workdir: str | Path, project: Mapping[str, Mapping[str, Path]]) -> None:
        self.workdir = Path(workdir)
        self.project = project
        self.paths: dict[str, dict[str, Path]] = {"books": {}, "plans": {}, "scenarios": {}}

    def __getitem__(self, kind: str) -> dict[str, Path]:
        return self.paths[kind]

    def root(self) -> Path:
        """``workdir/data``: the project's plans and sample book beside the uploads."""
        data = self.workdir / "data"
        if not (data / "plans").is_dir():
            (data / "scenarios").mkdir(parents=True, exist_ok=True)
            shutil.copytree(SAMPLE_PLANS, data / "plans")
            for folder in self.project["books"].values():
                target = data / folder.name
                if not target.exists():
                    shutil.copytree(folder, target)
        return data

    def add(self, files: Mapping[str, bytes]) -> list[tuple[str, str]]:
        """Check and save uploaded files (name -> bytes) as one upload.

        YAML files are plans (they have ``components``) or scenarios (``plan_year``);
        a ``.zip`` is a book; CSV files (with a ``book.yaml``, if any) uploaded
        together are one book. Plans are added first, so that a scenario of the same
        upload may name one. A plan or scenario is checked where it is staged, then
        moved beside the others (it may replace an earlier upload of its name).

        Returns
        -------
        list of (str, str)
            ``(kind, menu name)`` of each file or book added, in order.

        Raises
        ------
        ValueError, SpmSimError, zipfile.BadZipFile
            With a message for the planner; files checked before the failure stay
            added.
        """
        total = sum(len(b) for b in files.values())
        if total > MAX_UPLOAD_BYTES:
            raise ValueError(
                f"the files uploaded weigh {total / 2**20:.1f} MB together; the app takes "
                f"at most {MAX_UPLOAD_BYTES / 2**20:.0f} MB at once. Upload fewer files, or "
                "zip the book's CSV files."
            )
        root = self.root()
        batch = Path(tempfile.mkdtemp(prefix="upload-", dir=root))  # a folder of its own
        csvs = {n: b for n, b in files.items() if n.lower().endswith((".csv", "book.yaml"))}
        yamls = {n: b for n, b in files.items() if n not in csvs and n.lower().endswith(READABLE)}
        zips = {n: b for n, b in files.items() if n.lower().endswith(".zip")}
        for name in files:
            if name not in csvs and name not in yamls and name not in zips:
                raise ValueError(
                    f"{Path(name).name}: not a file the app reads; upload a plan or scenario "
                    "(.yaml), a book as a .zip, or the book's .csv files."
                )
        added: list[tuple[str, str]] = []
        # plans first: a scenario of the same upload may name one
        staged = [_stage_yaml(batch, Path(n).name, b) for n, b in yamls.items()]
        for kind, name, path in sorted(staged, key=lambda item: item[0] != "plans"):
            added.append(self._add_yaml(root, kind, name, path))
        for name, data in zips.items():
            safe = Path(name).name
            folder = batch / Path(safe).stem
            unzip_book(data, safe, folder)
            added.append(("books", self._add_book(folder, safe)))
        if csvs:
            folder = batch / "book"
            folder.mkdir()
            for name, data in csvs.items():
                _write_bytes(folder / Path(name).name, data)
            added.append(("books", self._add_book(folder, f"book-{batch.name[7:]}")))
        return added

    def _add_book(self, folder: Path, label: str) -> str:
        load_book_ref(str(folder))  # checked now: the library's message names file and row
        key = f"{label} (uploaded)"
        self.paths["books"][key] = folder
        return key

    def _add_yaml(self, root: Path, kind: str, name: str, staged: Path) -> tuple[str, str]:
        """Check a staged plan or scenario, then move it where the others are.

        The upload folder sits beside ``plans`` and ``scenarios``, so a scenario's
        relative paths read the same where it is staged and where it goes.
        """
        if kind == "plans":
            if name in self.project["plans"]:
                raise ValueError(
                    f"{name}: the project already has a plan of this name "
                    f"(data/plans/{name}), which its scenarios use. Rename your file "
                    f"(e.g. {Path(name).stem}-mine.yaml) and upload it again."
                )
            load_plan(staged)
        else:
            load_scenario(staged)
        target = root / kind / name
        os.replace(staged, target)  # checked: now it may replace an earlier upload
        key = f"{name} (uploaded)"
        self.paths[kind][key] = target
        return (kind, key)


class InputMenus:
    """The workbench's "Start from" widgets: scenario, plan, book, years, upload.

    Parameters
    ----------
    files : dict
        The project's files (:func:`project_files`).
    uploads : Uploads
        The uploaded files, offered once :meth:`select` adds them.
    scenario : str
        The scenario menu's first choice (a key of ``files["scenarios"]``).
    n_trials : int
        The simulated years menu's first choice (offered if not among its sizes).

    Attributes
    ----------
    scenario, plan, book, trials : ipywidgets.Dropdown
        The menus (the plan and book menus offer the scenario's own first).
    upload : ipywidgets.FileUpload
        The upload button.
    box : ipywidgets.VBox
        The menus and the upload button with its help, under their heading.

    Examples
    --------
    >>> import tempfile
    >>> files = project_files()
    >>> menus = InputMenus(files, Uploads(tempfile.mkdtemp(), files), "baseline.yaml", 500)
    >>> menus.values()
    {'scenario': 'baseline.yaml', 'plan': "(the scenario's plan)", \
'book': "(the scenario's book)", 'trials': 500}
    >>> menus.chosen().name == load_scenario(files["scenarios"]["baseline.yaml"]).name
    True
    """

    #: the plan and book menus' first choice: the scenario's own
    OWN_PLAN = "(the scenario's plan)"
    OWN_BOOK = "(the scenario's book)"

    def __init__(
        self,
        files: Mapping[str, Mapping[str, Path]],
        uploads: Uploads,
        scenario: str,
        n_trials: int,
    ) -> None:
        self.files = files
        self.uploads = uploads
        menu: dict[str, Any] = dict(style=LABEL_STYLE, layout=WIDE)
        self.scenario = widgets.Dropdown(
            options=list(files["scenarios"]),
            value=scenario,
            description="Scenario",
            tooltip="The plan year, quotas and assumptions to start from (data/scenarios)",
            **menu,
        )
        self.plan = widgets.Dropdown(
            options=[self.OWN_PLAN, *files["plans"]],
            description="Baseline plan",
            tooltip="The plan the design is compared with (data/plans)",
            **menu,
        )
        self.book = widgets.Dropdown(
            options=[self.OWN_BOOK, *files["books"]],
            description="Book",
            tooltip="The reps, accounts and bookings simulated (data/<book>)",
            **menu,
        )
        self._roles: dict[str, str | None] = {}  # plan menu name -> the plan's role
        self.trials = _trials_menu(
            n_trials,
            "Simulated years (trials)",
            "More years: narrower intervals, slower updates",
            **menu,
        )
        self.upload = _upload_button("Your own plan, scenario or book")
        upload_help = widgets.HTML(
            "Your own files: a plan or scenario YAML, or a book as a .zip or its CSV "
            f"files (reps.csv, accounts.csv, bookings.csv, ...) chosen together; at most "
            f"{MAX_UPLOAD_BYTES // 2**20} MB at once."
        )
        self.box = widgets.VBox(
            [
                widgets.HTML("<h3 style='margin:4px 0'>1. Start from</h3>"),
                self.scenario,
                self.plan,
                self.book,
                self.trials,
                widgets.HBox([self.upload, upload_help]),
            ]
        )

    def values(self) -> dict[str, Any]:
        """The menus' values: ``scenario``, ``plan``, ``book`` and ``trials``."""
        return {
            "scenario": self.scenario.value,
            "plan": self.plan.value,
            "book": self.book.value,
            "trials": self.trials.value,
        }

    def show(self, values: Mapping[str, Any]) -> None:
        """Put the menus on ``values`` (as :meth:`values` gave them)."""
        self.scenario.value = values["scenario"]
        self.plan.value = values["plan"]
        self.book.value = values["book"]
        self.trials.value = values["trials"]

    def chosen(self) -> Scenario:
        """The baseline scenario the menus name (loaded and checked)."""
        uploads, files = self.uploads, self.files
        name = self.scenario.value
        s = load_scenario(uploads["scenarios"].get(name) or files["scenarios"][name])
        plan = self.plan.value
        if plan != self.OWN_PLAN:
            chosen = load_plan(uploads["plans"].get(plan) or files["plans"][plan])
            # the scenario's own description speaks of its own plan: replaced, not kept
            s = s.replace(
                name=_longer(s.name, f" with {chosen.name}"),
                plan=chosen,
                description=f"{s.name} with the plan {chosen.name} in place of {s.plan.name}.",
            )
        book = self.book.value
        if book != self.OWN_BOOK:
            label = book.removesuffix(" (uploaded)").split(" (data/")[0]
            s = s.replace(
                name=_longer(s.name, f" on book {label}"),
                book=str(uploads["books"].get(book) or files["books"][book]),
            )
        return s

    def plan_role(self, key: str) -> str | None:
        """The role the plan of menu name ``key`` is for (None: any), read once."""
        if key not in self._roles:
            path = self.uploads["plans"].get(key) or self.files["plans"].get(key)
            try:
                self._roles[key] = load_plan(path).role if path is not None else None
            except (OSError, ValueError):  # a broken project file: its own load says why
                self._roles[key] = None
        return self._roles[key]

    def mark_plans(self, roles: set[str]) -> None:
        """Label each plan for a role none of the book's reps has (``roles``), e.g.
        "sdr_plan.yaml (for SDRs: this book has none)"; the choice stays as it is.

        The caller keeps the menu's observers quiet meanwhile.
        """
        chosen = self.plan.value
        options = []
        for label, key in self.plan_options():
            role = self.plan_role(key) if key != self.OWN_PLAN else None
            label = (
                key if role is None or role in roles else f"{key} (for {role}s: this book has none)"
            )
            options.append((label, key))
        if options != list(self.plan_options()):
            self.plan.options = options
            self.plan.value = chosen

    def plan_options(self) -> list[tuple[str, str]]:
        """The plan menu's ``(label, menu name)`` pairs."""
        return [
            (str(o[0]), str(o[1])) if isinstance(o, tuple) else (str(o), str(o))
            for o in self.plan.options
        ]

    def select(self, added: list[tuple[str, str]]) -> None:
        """Offer and choose each ``(kind, menu name)`` that :meth:`Uploads.add` gave."""
        menus = {"books": self.book, "plans": self.plan, "scenarios": self.scenario}
        for kind, key in added:
            menu = menus[kind]
            options = [o if isinstance(o, tuple) else (o, o) for o in menu.options]
            if key not in [value for _, value in options]:
                menu.options = [*options, (key, key)]
            menu.value = key


def _longer(name: str, more: str) -> str:
    """``name + more`` within a scenario name's 200 characters."""
    both = name + more
    return both if len(both) <= 200 else both[:197] + "..."


def plain_paths(message: str, workdir: Path, project: Path | None = None) -> str:
    """``message`` with the server's folders taken out: a path under ``workdir``
    (where uploads are staged and kept) becomes the file's own name, and a path
    under the ``project`` folder becomes relative to it.

    A planner uploaded ``bad_plan.yaml``; the folder it was checked in means
    nothing to them (and says something about the server).

    Examples
    --------
    >>> plain_paths("/tmp/x-spm-app/data/upload-ab12/bad.yaml: not valid YAML at line 7",
    ...             Path("/tmp/x-spm-app"))
    'bad.yaml: not valid YAML at line 7'
    >>> plain_paths("in /srv/app/data/sample/reps.csv, row 3", Path("/tmp/w"), Path("/srv/app"))
    'in data/sample/reps.csv, row 3'
    """
    for folder, keep in ((workdir, False), (project, True)):
        if folder is None:
            continue
        for root in dict.fromkeys([str(folder), str(Path(folder).resolve())]):
            pattern = re.escape(root.rstrip("/\\")) + r"(?:[/\\][^\s'\"():,]*)?"

            def short(match: re.Match[str], root: str = root, keep: bool = keep) -> str:
                rest = match.group(0)[len(root.rstrip("/\\")) :].lstrip("/\\")
                if keep:
                    return rest.replace("\\", "/") or "."
                return PurePosixPath(rest.replace("\\", "/")).name or "(the app's folder)"

            message = re.sub(pattern, short, message)
    return message


def _stage_yaml(batch: Path, name: str, data: bytes) -> tuple[str, str, Path]:
    """Save a YAML file in the upload's own folder and say what it is."""
    staged = batch / name
    _write_bytes(staged, data)
    content = read_yaml(staged)  # located messages: line, column, rule
    if isinstance(content, dict) and "components" in content:
        return ("plans", name, staged)
    if isinstance(content, dict) and "plan_year" in content:
        return ("scenarios", name, staged)
    raise ValueError(
        f"{name}: neither a plan (a YAML with 'components') nor a scenario (a YAML with "
        "'plan_year'); see data/plans/ and data/scenarios/ for examples."
    )


def _write_bytes(path: Path, data: bytes) -> None:
    """Write an uploaded file as it came, whole or not at all."""
    write_with(path, lambda fh: fh.write(data))


def unzip_book(data: bytes, name: str, folder: Path) -> None:
    """Unpack a zipped book's files (CSV, YAML, Parquet) flat into a new ``folder``.

    Files of other kinds, hidden files and a Mac's ``__MACOSX`` folder are skipped.
    Refused, in words: an entry outside the zip's folder (``../x``, ``/x``), two
    files of one name in different folders, more than :data:`MAX_UNPACKED_BYTES`
    unpacked (counted while reading, whatever the zip says of itself).

    Parameters
    ----------
    data : bytes
        The zip file.
    name : str
        Its name, for the messages.
    folder : Path
        Where the files go; it must not exist yet.

    Raises
    ------
    ValueError
        For an entry refused (see above), naming the zip and the entry.
    zipfile.BadZipFile
        When ``data`` is not a zip file.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as z:
    ...     z.writestr("book/reps.csv", "rep_id\\n")
    ...     z.writestr("../evil.csv", "x\\n")
    >>> unzip_book(buffer.getvalue(), "up.zip", Path(tempfile.mkdtemp()) / "book")
    Traceback (most recent call last):
    ...
    ValueError: up.zip: entry '../evil.csv' points outside the zip's own folder, ...
    """
    seen: dict[str, str] = {}
    unpacked = 0
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            entry = info.filename
            parts = PurePosixPath(entry.replace("\\", "/")).parts
            if entry.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise ValueError(
                    f"{name}: entry {entry!r} points outside the zip's own folder, which "
                    "the app does not unpack. Zip the book's folder as it is."
                )
            base = parts[-1]
            if "__MACOSX" in parts or base.startswith(".") or not base.lower().endswith(READABLE):
                continue  # not a book's file (e.g. a Mac's resource forks)
            if base in seen:
                raise ValueError(
                    f"{name}: two files named {base!r} ({seen[base]!r} and {entry!r}); a book "
                    "is one folder of files. Zip one book at a time."
                )
            seen[base] = entry
            chunks = []
            with z.open(info) as fh:
                while block := fh.read(1 << 20):
                    unpacked += len(block)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise ValueError(
                            f"{name}: its files unpack to more than "
                            f"{MAX_UNPACKED_BYTES / 2**20:.0f} MB, more than the app takes. "
                            "Run a book this large from the command line (spm-sim run)."
                        )
                    chunks.append(block)
            content = b"".join(chunks)
            _write_bytes(folder / base, content)
