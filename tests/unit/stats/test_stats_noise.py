"""The run-to-run noise from a history, and the change points in it: synthetic histories with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.stats.change_points import change_points, segments, shifts
from mlgate.stats.noise import change_sd, detectable, effective_df, quantile, spread, within_levels


def test_the_spread_of_pure_noise_estimates_its_sigma():
    rng = np.random.default_rng(0)
    estimates = [spread(rng.normal(0.9, 0.004, 40)).sigma for _ in range(300)]
    assert np.median(estimates) == pytest.approx(0.004, rel=0.08)


def test_one_real_step_does_not_inflate_the_noise():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.004, 20)
    stepped = noise + np.where(np.arange(20) >= 10, -0.05, 0.0)  # a step of 12 sigma
    assert spread(stepped).sigma == pytest.approx(spread(noise).sigma, rel=0.25)
    assert np.std(stepped) > 5 * spread(stepped).sigma  # the plain standard deviation is swamped by the step


def test_a_constant_history_has_no_noise():
    found = spread([0.9] * 10)
    assert (found.sigma, found.runs) == (0.0, 10)


def test_too_short_a_history_has_no_spread():
    assert spread([0.9, 0.91]) is None


def test_the_bound_is_the_one_sided_t_quantile_of_one_run_against_the_mean():
    found = spread(np.random.default_rng(2).normal(0, 1, 20))
    assert quantile(0.95, 18) == pytest.approx(1.734, abs=1e-3)  # Student t, 18 df
    assert change_sd(2.0, 4) == pytest.approx(2.0 * (1.25 ** 0.5))
    assert detectable(found, 0.99, 20) > detectable(found, 0.95, 20)


@pytest.mark.parametrize("seed", range(5))
def test_pure_noise_has_no_change_point(seed):
    values = np.random.default_rng(seed).normal(0.9, 0.004, 30)
    assert change_points(values) == []
    assert len(segments(values)) == 1


def test_pure_noise_rarely_shows_a_change_point():
    rng = np.random.default_rng(10)
    found = sum(bool(change_points(rng.normal(0, 1, 25))) for _ in range(200))
    assert found <= 8  # at most 4 % of noise-only histories


def test_steps_are_found_at_their_runs_with_size_and_direction():
    rng = np.random.default_rng(3)
    level = np.array([0.90] * 10 + [0.93] * 10 + [0.91] * 10)
    values = level + rng.normal(0, 0.004, 30)
    assert change_points(values) == [10, 20]
    up, down = shifts(values)
    assert (up.index, down.index) == (10, 20)
    assert up.size == pytest.approx(0.03, abs=0.004) and down.size == pytest.approx(-0.02, abs=0.004)


def test_a_deterministic_history_changes_level_where_its_value_changes():
    assert change_points([0.9] * 5 + [0.8] * 5) == [5]


def test_successive_differences_carry_fewer_degrees_of_freedom_than_their_count():
    # 19 neighbouring differences of 20 runs share runs (correlation −½): ν = 2m²/(3m − 1) = 12.9, not 18
    assert effective_df([True] * 19) == pytest.approx(2 * 19**2 / (3 * 19 - 1))
    # differences that share no run are independent: each is one degree of freedom
    assert effective_df([True, False] * 5) == pytest.approx(5)
    # two blocks of 9, the difference across a change point set aside: 2·18²/(54 − 2)
    assert effective_df([True] * 9 + [False] + [True] * 9) == pytest.approx(2 * 18**2 / 52)


def test_the_first_spread_s_degrees_of_freedom_are_its_estimate_s_own():
    # the variance of σ̂² from 19 successive differences of pure noise is that of a χ² estimate with ν df
    rng = np.random.default_rng(20)
    estimates = np.array([spread(rng.normal(0, 1, 20)).sigma ** 2 for _ in range(4000)])
    assert 2 / estimates.var() == pytest.approx(effective_df([True] * 19), rel=0.15)


def test_the_noise_within_levels_has_a_degree_of_freedom_per_run_less_one_per_level():
    # pooled about the levels' means: an unbiased σ̂² whose variance is that of χ² with n − L degrees of freedom
    rng = np.random.default_rng(22)
    found = [within_levels(rng.normal(0, 1, 20), []) for _ in range(4000)]
    estimates = np.array([f.sigma ** 2 for f in found])
    assert sum(f.df < 19 for f in found) <= 0.005 * len(found)  # a run of pure noise is rarely set aside
    assert estimates.mean() == pytest.approx(1.0, abs=0.03)
    assert 2 / estimates.var() == pytest.approx(19, rel=0.1)
    assert within_levels(rng.normal(0, 1, 20), [10]).df == 18  # two levels: one more mean estimated


def test_the_noise_within_levels_is_the_spread_about_each_level_s_own_mean():
    values = [0.0, 1.0, 0.0, 1.0, 5.0, 6.0, 5.0, 6.0]  # a step of 5 at run 4
    found = within_levels(values, [4])
    assert found.sigma == pytest.approx((8 * 0.25 / 6) ** 0.5)  # eight runs ±0.5 about 0.5 and 5.5, 6 df
    assert found.df == 6
    assert within_levels(values, []).sigma > 2 * found.sigma  # without the change point the step is noise


def test_a_gross_outlier_inside_a_level_is_set_aside():
    rng = np.random.default_rng(23)
    runs = rng.normal(0.9, 0.004, 20)
    broken = runs.copy()
    broken[7] = 0.2  # one broken run
    clean, found = within_levels(runs, []), within_levels(broken, [])
    assert found.sigma == pytest.approx(within_levels(np.delete(runs, 7), []).sigma)
    assert found.sigma == pytest.approx(clean.sigma, rel=0.2) and found.df == 18


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_one_run_against_the_mean_of_pure_noise_fails_at_the_confidence_s_rate(confidence):
    # the calibration the gates rest on: on pure noise (no change point), a head of the same level is beyond
    # the t bound on the estimate's degrees of freedom as often as the confidence allows, no more
    rng = np.random.default_rng(21)
    n, trials = 20, 8000
    fails = 0
    for _ in range(trials):
        history, head = rng.normal(0, 1, n), rng.normal()
        noise = within_levels(history, [])
        fails += history.mean() - head > quantile(confidence, noise.df) * change_sd(noise.sigma, n)
    alpha = 1 - confidence
    assert abs(fails / trials - alpha) < 3 * (alpha * (1 - alpha) / trials) ** 0.5


def test_the_differences_between_neighbours_skip_the_change_points():
    from mlgate.stats.noise import between_neighbours

    values = [0.0, 1.0, 0.0, 1.0, 5.0, 6.0, 5.0, 6.0]  # a step of 5 at run 4: six differences of ±1 inside levels
    found = between_neighbours(values, [4])
    assert found.sigma == pytest.approx((1 / 2) ** 0.5)  # σ² = Σd² / 2m = 6 / 12
    assert found.df == pytest.approx(effective_df([True] * 3 + [False] + [True] * 3))
    assert between_neighbours(values, []).sigma > 1.5 * found.sigma  # without the change point the step counts


def test_the_differences_between_neighbours_estimate_sigma_and_set_a_broken_run_aside():
    from mlgate.stats.noise import between_neighbours

    rng = np.random.default_rng(24)
    estimates = np.array([between_neighbours(rng.normal(0, 1, 20), []).sigma ** 2 for _ in range(3000)])
    assert estimates.mean() == pytest.approx(1.0, abs=0.04)  # unbiased on pure noise
    runs = rng.normal(0.9, 0.004, 20)
    broken = runs.copy()
    broken[7] = 0.2
    found = between_neighbours(broken, [])
    assert found.sigma == pytest.approx(0.004, rel=0.35) and found.df < effective_df([True] * 19)
    assert between_neighbours([0.9, 0.91], []) is None
