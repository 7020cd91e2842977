"""Pairing head and base predictions by id: full, partial, none, and labels that disagree."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.stats.predictions import Predictions, PredictionSpec, pair

SPEC = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred")


def _side(source: str, ids: range | list[int], label_of=lambda i: i % 2) -> Predictions:
    ids = list(ids)
    return Predictions(
        source=source,
        spec=SPEC,
        ids=np.array([str(i) for i in ids], dtype=object),
        label=np.array([label_of(i) for i in ids]),
        prediction=np.array([(i // 3) % 2 for i in ids]),
        score=None,
    )


def test_same_ids_in_another_order_pair_row_by_row() -> None:
    head = _side("head", range(10))
    base = _side("base", reversed(range(10)))
    p = pair(head, base)
    assert (p.paired, p.n_paired, p.dropped_head, p.dropped_base) == (True, 10, 0, 0)
    assert p.reason == "paired by id on all 10 rows"
    assert p.head.ids.tolist() == p.base.ids.tolist()
    assert np.array_equal(p.head.label, p.base.label)
    assert np.array_equal(p.base.prediction, np.array([(i // 3) % 2 for i in range(10)]))


def test_mostly_shared_ids_pair_on_the_shared_rows_and_count_the_rest() -> None:
    head = _side("head", range(0, 100))
    base = _side("base", range(10, 105))
    p = pair(head, base)
    assert (p.paired, p.n_paired, p.dropped_head, p.dropped_base) == (True, 90, 10, 5)
    assert p.reason == "paired by id on the 90 shared rows; left out 10 head-only and 5 base-only rows"
    assert sorted(p.head.ids.tolist(), key=int) == [str(i) for i in range(10, 100)]
    assert p.head.ids.tolist() == p.base.ids.tolist()


def test_few_shared_ids_fall_back_to_unpaired_with_every_row() -> None:
    head = _side("head", range(0, 100))
    base = _side("base", range(60, 200))
    p = pair(head, base)
    assert (p.paired, p.n_paired, len(p.head), len(p.base)) == (False, 0, 100, 140)
    assert p.reason == (
        "unpaired: only 40 rows pair by id, fewer than 50% of head (100) or base (140); "
        "the two sides are compared as independent samples"
    )


def test_min_overlap_sets_the_bar_for_pairing() -> None:
    head = _side("head", range(0, 100))
    base = _side("base", range(60, 200))
    assert pair(head, base, min_overlap=0.25).paired
    assert not pair(head, base, min_overlap=0.5).paired


def test_no_shared_ids_means_the_evaluation_data_changed() -> None:
    p = pair(_side("head", range(0, 50)), _side("base", range(1000, 1070)))
    assert (p.paired, p.n_paired) == (False, 0)
    assert p.reason == (
        "unpaired: head (50 rows) and base (70 rows) share no ids (the evaluation data changed); "
        "the two sides are compared as independent samples"
    )


def test_shared_ids_with_different_labels_do_not_pair_and_are_counted() -> None:
    head = _side("head", range(20))
    base = _side("base", range(20), label_of=lambda i: 1 - i % 2 if i < 3 else i % 2)
    p = pair(head, base)
    assert (p.paired, p.n_paired, p.label_mismatches) == (True, 17, 3)
    assert p.reason.endswith("left out 3 head-only and 3 base-only rows; 3 shared ids carry different labels")

    relabelled = _side("base", range(20), label_of=lambda i: 7)
    q = pair(head, relabelled)
    assert (q.paired, q.label_mismatches) == (False, 20)
    assert "share no id with the same label" in q.reason


def test_min_overlap_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="min_overlap"):
        pair(_side("h", range(3)), _side("b", range(3)), min_overlap=0)
