"""The theory shown beside the simulation: Erlang C and Little's law, against textbook values."""

from __future__ import annotations

import math

import pytest

from scaletui.game.theory import erlang_c_prediction


def test_one_server_is_m_m_1() -> None:
    t = erlang_c_prediction(1, 100.0, 50.0)  # mu 100/s, lambda 50/s
    assert t is not None and t.stable
    assert t.utilization == pytest.approx(0.5)
    assert t.queue == pytest.approx(0.5 ** 2 / (1 - 0.5))  # Lq = rho^2 / (1 - rho)
    assert t.latency_s == pytest.approx(1 / (100 - 50))  # W = 1 / (mu - lambda)


def test_two_servers_at_half_load() -> None:
    t = erlang_c_prediction(2, 2.0, 1.0)  # c 2, mu 1/s, lambda 1/s: a = 1, C(2, 1) = 1/3
    assert t is not None
    assert t.queue == pytest.approx(1 / 3)
    assert t.latency_s == pytest.approx(1 / 3 + 1)


def test_at_or_over_full_load_there_is_no_steady_state() -> None:
    t = erlang_c_prediction(4, 400.0, 480.0)
    assert t is not None and not t.stable and t.utilization == pytest.approx(1.2)
    assert t.drifts_from(0.05)  # whatever the simulation shows, the formula does not cover it


def test_drift_is_a_quarter_off_the_formula() -> None:
    t = erlang_c_prediction(1, 100.0, 50.0)  # 20 ms
    assert t is not None
    assert not t.drifts_from(0.024) and t.drifts_from(0.026) and t.drifts_from(0.014)


def test_nothing_to_predict_without_a_pool_or_a_load() -> None:
    assert erlang_c_prediction(0, 100.0, 10.0) is None
    assert erlang_c_prediction(4, math.inf, 10.0) is None
    assert erlang_c_prediction(4, 400.0, 0.0) is None
