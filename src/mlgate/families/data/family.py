"""The `data` family: schema, per-column profile and drift of the datasets under `data:` in mlgate.yaml.

For each dataset, at the head and (when its files exist there) at the base revision, the files are
streamed into a profile (``mlgate.families.data``). Metrics, all under ``data.<name>.``:

- ``rows``, ``columns``, ``schema`` (a short fingerprint of column names and types: gate it ``unchanged``);
- ``columns.<col>.missing_share``, ``.distinct``; numbers also ``.mean``, ``.std``, ``.min``, ``.max``,
  ``.p50``; against the base (head only) ``.out_of_base_range_share`` or ``.new_category_share``;
- ``target.classes``, ``target.share_min`` when a ``target`` column is named;
- ``drift.<col>.psi`` and ``.ks``/``.ks_pvalue`` (numbers) or ``.chi2_pvalue``/``.js`` (categories): the
  head against the base, head only;
- ``reference_drift.<col>.*``: the same statistics against the dataset's ``reference``, at each revision.

A ``.`` in a column name becomes ``_`` in metric keys (a key segment cannot hold a dot). Row identifiers
(``id``, the predictions' id column, integers numbering the rows) get no drift statistics.

Nothing checked is no pass: at the head, a dataset without rows, and a reference that is absent, has no rows
or shares no comparable column are bad input naming the key; a symlink leading out of the repository or into
``.git/`` is refused as such, never taken for an absent file. At the base each of these is a warning.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import json
import multiprocessing
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from mlgate.config.load import replace
from mlgate.config.schema import Config, DatasetConfig
from mlgate.edges.paths import is_inside
from mlgate.edges.progress import Progress
from mlgate.edges.sides import Side
from mlgate.errors import InputError, MlgateError
from mlgate.families import FamilyResult
from mlgate.families.data.drift import BINS_TEXT, ColumnDrift, drifts_of, new_category_share, out_of_range_share
from mlgate.families.data.profile import NUMERIC, DatasetProfile
from mlgate.families.data.read import DatasetReader, is_glob, profile_job
from mlgate.families.data.section import dataset_section, psi_chance, top_drifts
from mlgate.text.safe import excerpt

KEY = "data"
PARALLEL_BYTES = 64 << 20  # base files at least this large are profiled in a second process


def compute(config: Config, head: Side, base: Side | None, *, recorded: Any = None,
            progress: Progress | None = None, parallel_bytes: int = PARALLEL_BYTES) -> FamilyResult | None:
    """The data family's metrics and section; None without a `data:` block.

    Without base files (`base` None) the base's values are whatever the baseline recorded (`recorded`,
    e.g. from the ledger): this family then returns ``base=None`` and computes no drift against the base.
    Base files of at least `parallel_bytes` are profiled in a second process meanwhile."""
    if not config.data:
        return None
    names = ", ".join(config.data)
    title = f"data: profiling {names} at the head" + (" and the base" if base is not None else "")
    step = progress.step(title) if progress else nullcontext()
    with step, _Profiles(config, head, base, parallel_bytes) as profiles:
        return _compute(config, profiles, base is not None)


def _compute(config: Config, profiles: _Profiles, have_base: bool) -> FamilyResult:
    profiles.start_base()
    head_metrics: dict[str, Any] = {}
    base_metrics: dict[str, Any] = {}
    datasets = []
    identifiers = (config.predictions.id,) if config.predictions is not None and config.predictions.id else ()
    for name, dataset in config.data.items():
        h = profiles.get(name, "head")
        if h is None:
            raise InputError(f"data.{name}.path: {_absent(dataset.path)} at the head; run the stage that writes it "
                             "(dvc repro / dvc pull), or fix the path")
        _check_keys(name, h)
        _check_rows(f"data.{name}.path", dataset.path, h)
        b = profiles.get(name, "base") if have_base else None
        prefix = f"data.{name}"
        head_metrics.update(profile_metrics(prefix, h, dataset.target))
        drifts = drifts_of(b, h, identifiers) if b is not None else []
        if b is not None:
            base_metrics.update(profile_metrics(prefix, b, dataset.target))
            head_metrics.update(comparison_metrics(prefix, b, h, drifts))
        section = dataset_section(name, dataset, h, b, drifts, profiles.base_note(name))
        if dataset.reference is not None:
            label = dataset.reference
            for side, metrics in (("head", head_metrics), ("base", base_metrics)):
                own = h if side == "head" else b
                ref = profiles.reference(name, side) if own is not None else None
                if side == "head":
                    ref = _head_reference(config, name, ref, h)
                if own is not None and ref is not None:
                    against = drifts_of(ref, own, identifiers)
                    if side == "head":
                        _check_judged(config, name, against)
                    metrics.update(drift_metrics(f"{prefix}.reference_drift", against))
                    if side == "head":
                        section["reference"] = {"name": label, "drift": top_drifts(against, ref, own),
                                                "psi_chance": psi_chance(ref, own)}
        datasets.append(section)
    return FamilyResult(
        key=KEY, file=KEY, head=head_metrics, base=base_metrics if have_base else None,
        section={"datasets": datasets, "bins": BINS_TEXT}, warnings=tuple(profiles.warnings),
    )


def _absent(path: str) -> str:
    return f"{path} {'matches no file' if is_glob(path) else 'does not exist'}"


def _check_rows(key: str, path: str, profile: DatasetProfile) -> None:
    """A dataset without rows can be checked for nothing: bad input, not a pass."""
    if profile.rows == 0:
        raise InputError(f"{key}: {path} at the head holds no rows, so nothing in it can be checked; write the "
                         "rows (run the stage that writes it), or fix the path")


def _head_reference(config: Config, name: str, ref: DatasetProfile | None, h: DatasetProfile) -> DatasetProfile:
    """The reference at the head, which drift is measured against: absent, empty or sharing no column with
    the dataset, it would switch the check off silently, so each is bad input naming the key."""
    key, path = f"data.{name}.reference", _reference_path(config, name)
    if ref is None:
        raise InputError(f"{key}: {_absent(path)} at the head, so drift against it cannot be measured; fix the "
                         "path, or run the stage that writes it (dvc repro / dvc pull)")
    _check_rows(key, path, ref)
    if not any(column in ref.columns for column in h.columns):
        raise InputError(f"{key}: {path} shares no column with data.{name} ({h.names_text()} against "
                         f"{ref.names_text()}), so no drift can be measured; point it at the same kind of data")
    return ref


def _check_judged(config: Config, name: str, against: list[ColumnDrift]) -> None:
    if any(d.psi is not None for d in against):
        return
    path = _reference_path(config, name)
    why = "; ".join(f"{excerpt(d.column, 40)!r}: {d.skipped}" for d in against[:3]) + (" …" if len(against) > 3 else "")
    raise InputError(f"data.{name}.reference: no column of {path} could be compared with data.{name} ({why}), so "
                     "no drift can be measured; point it at the same kind of data")


def _reference_path(config: Config, name: str) -> str:
    """The file a dataset's ``reference`` names: its own path, or that of the dataset it names."""
    label = config.data[name].reference
    assert label is not None
    return config.data[label].path if label in config.data else label


def key_part(column: str) -> str:
    return column.replace(".", "_")


def _check_keys(name: str, profile: DatasetProfile) -> None:
    seen: dict[str, str] = {}
    for column in profile.columns:
        other = seen.setdefault(key_part(column), column)
        if other != column:
            raise InputError(
                f"data.{name}: columns {other!r} and {column!r} both become {key_part(column)!r} in metric keys "
                "(a '.' is written '_'); rename one of them"
            )


def schema_fingerprint(profile: DatasetProfile) -> str:
    """'4 columns: 2 double, 1 int64, 1 string #3f2a9c1b': the types counted, and a hash of names and types
    in order, so a change of either shows (and the counts hint at which)."""
    types = Counter(c.type for c in profile.columns.values())
    counted = ", ".join(f"{n} {t}" for t, n in sorted(types.items(), key=lambda item: (-item[1], item[0])))
    digest = hashlib.sha256(json.dumps(profile.schema, separators=(",", ":")).encode("utf-8")).hexdigest()[:8]
    n = len(profile.columns)
    return f"{n} column{'s' if n != 1 else ''}: {counted} #{digest}" if n else f"no columns #{digest}"


def profile_metrics(prefix: str, p: DatasetProfile, target: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {f"{prefix}.rows": p.rows, f"{prefix}.columns": len(p.columns),
                           f"{prefix}.schema": schema_fingerprint(p)}
    for name, c in p.columns.items():
        key = f"{prefix}.columns.{key_part(name)}"
        out[f"{key}.missing_share"] = c.missing_share
        out[f"{key}.distinct"] = c.distinct_count
        if c.kind == NUMERIC and c.present:
            out[f"{key}.mean"] = c.mean
            if c.std is not None:
                out[f"{key}.std"] = c.std
            out[f"{key}.min"], out[f"{key}.max"] = c.min, c.max
            out[f"{key}.p50"] = p.quantile(name, 0.5)
    if target is not None and target in p.columns:
        counts = p.columns[target].counts
        if counts:
            total = sum(counts.values())
            out[f"{prefix}.target.classes"] = len(counts)
            out[f"{prefix}.target.share_min"] = min(counts.values()) / total
    return out


def comparison_metrics(prefix: str, base: DatasetProfile, head: DatasetProfile,
                       drifts: list[ColumnDrift]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in head.columns:
        if name not in base.columns:
            continue
        key = f"{prefix}.columns.{key_part(name)}"
        outside = out_of_range_share(base.columns[name], head, name)
        if outside is not None:
            out[f"{key}.out_of_base_range_share"] = outside
        new = new_category_share(base.columns[name], head.columns[name])
        if new is not None:
            out[f"{key}.new_category_share"] = new
    out.update(drift_metrics(f"{prefix}.drift", drifts))
    return out


def drift_metrics(prefix: str, drifts: list[ColumnDrift]) -> dict[str, Any]:
    return {f"{prefix}.{key_part(d.column)}.{stat}": value for d in drifts for stat, value in d.metrics().items()}


# -- reading each dataset once per revision ------------------------------------------------------------

class _Profiles:
    """Each dataset read once per revision. Large base files are profiled in a second process while the
    head is profiled in this one (numpy and Arrow release the GIL only in parts: threads overlap poorly)."""

    def __init__(self, config: Config, head: Side, base: Side | None, parallel_bytes: int = PARALLEL_BYTES) -> None:
        self.config, self.sides = config, {"head": head, "base": base}
        self.parallel_bytes = parallel_bytes
        self.cache: dict[tuple[str, str], DatasetProfile | None] = {}
        self.pending: dict[tuple[str, str], Future[tuple[str, Any]]] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.notes: dict[str, str] = {}
        self.warnings: list[str] = []

    def __enter__(self) -> _Profiles:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def start_base(self) -> None:
        """Start profiling the base's large files in a child process (the head runs meanwhile)."""
        base = self.sides["base"]
        if base is None:
            return
        for key, dataset, owner in self._wanted():
            try:
                files = _files(base, dataset.path)
            except MlgateError:  # said when the base is read (_load)
                continue
            if not files or sum(path.stat().st_size for _, path in files) < self.parallel_bytes:
                continue
            if self.pool is None:
                self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self.pending[(key, "base")] = self.pool.submit(
                profile_job, owner, dataset, "base", _categorical(dataset), [(r, str(p)) for r, p in files]
            )

    def _wanted(self) -> list[tuple[str, DatasetConfig, str]]:
        wanted = []
        for name, dataset in self.config.data.items():
            wanted.append((name, dataset, name))
            if dataset.reference is not None and dataset.reference not in self.config.data:
                wanted.append((f"{name}.reference", self._as_reference(dataset), name))
        return wanted

    @staticmethod
    def _as_reference(dataset: DatasetConfig) -> DatasetConfig:
        return replace(dataset, path=dataset.reference, reference=None)

    def get(self, name: str, side: str) -> DatasetProfile | None:
        return self._load(name, self.config.data[name], side, name)

    def reference(self, name: str, side: str) -> DatasetProfile | None:
        dataset = self.config.data[name]
        ref = dataset.reference
        assert ref is not None
        if ref in self.config.data:
            return self.get(ref, side)
        return self._load(f"{name}.reference", self._as_reference(dataset), side, name)

    def base_note(self, name: str) -> str | None:
        if self.sides["base"] is None:
            return "no base files to read (the baseline came from the metrics ledger, or there is none)"
        return self.notes.get(name)

    def _load(self, key: str, dataset: DatasetConfig, side_name: str, owner: str) -> DatasetProfile | None:
        if (key, side_name) in self.cache:
            return self.cache[(key, side_name)]
        side = self.sides[side_name]
        profile = None
        if side is not None:
            field = "path" if key == owner else "reference"
            try:
                files = _files(side, dataset.path, f"data.{owner}.{field}")
            except MlgateError as exc:  # also: the base's files cannot be fetched (a remote's plugin is missing)
                if side_name == "head":
                    raise
                self._unreadable_base(exc, key, owner)
                files = []
            else:
                if not files and side_name == "base" and key == owner:
                    self.notes[owner] = "new dataset: absent at the base, profiled at the head only"
            if files:
                profile = self._read(files, dataset, side_name, key, owner)
        self.cache[(key, side_name)] = profile
        return profile

    def _read(self, files: list[tuple[str, Path]], dataset: DatasetConfig, side_name: str, key: str,
              owner: str) -> DatasetProfile | None:
        try:
            future = self.pending.pop((key, side_name), None)
            if future is None:
                reader = DatasetReader(owner, dataset, side_name, _categorical(dataset))
                profile = reader.profile(files)
                self.warnings.extend(reader.notes)
                return profile
            status, value = future.result()
            if status == "error":
                raise InputError(str(value))
            data, notes = value
            self.warnings.extend(notes)
            return DatasetProfile.from_dict(data)
        except InputError as exc:
            if side_name == "head":
                raise
            self._unreadable_base(exc, key, owner)
            return None

    def _unreadable_base(self, exc: Exception, key: str, owner: str) -> None:
        """A base that cannot be read is not this change's fault: compare with nothing, and say so."""
        self.warnings.append(f"{exc} (the base is not compared)")
        if key == owner:
            self.notes[owner] = "the base's file could not be read: compared with nothing (see the warnings)"


def _categorical(dataset: DatasetConfig) -> tuple[str, ...]:
    return (dataset.target,) if dataset.target else ()


def _files(side: Side, pattern: str, key: str = "data") -> list[tuple[str, Path]]:
    root = getattr(side, "root", None)  # a directory (the workspace, a worktree): its links are checked
    if root is not None and is_glob(pattern):
        rels = sorted(_glob.glob(pattern, root_dir=Path(root).resolve(), recursive=True))
    else:
        rels = side.glob(pattern) if is_glob(pattern) else [pattern]
    found = []
    for rel in rels:
        if root is not None:
            _check_link(Path(root), rel, side.name, key)
        path = side.path(rel)
        if path is not None and path.is_dir():
            raise InputError(
                f"data: {rel} at the {side.name} is a directory; give a file or a glob of its partitions, "
                f"e.g. {rel.rstrip('/')}/*.parquet"
            )
        if path is not None:
            found.append((rel, path))
    return found


def _check_link(root: Path, rel: str, side: str, key: str) -> None:
    """A file that is there but is not the repository's to read: a symlink leading out of the repository or
    into git's own folder (.git/) is refused, never taken for an absent file (which switches a check off)."""
    raw = root / rel
    if not (raw.exists() or raw.is_symlink()):
        return
    if not is_inside(root, raw):
        raise InputError(f"{key}: {excerpt(rel, 100)} at the {side} is a symlink that leads outside the repository; "
                         "mlgate reads data inside the repository only: copy the file in, or track it with DVC "
                         "(dvc add / dvc import)")
    if is_inside(root / ".git", raw):
        raise InputError(f"{key}: {excerpt(rel, 100)} at the {side} leads into .git/, git's own files, not a "
                         "dataset; point it at a CSV or Parquet file in the project")
