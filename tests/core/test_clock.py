import threading
import time

import pytest

from labctl.clock import PacedClock, RealClock, ScaledClock, VirtualClock, wait_until


def test_virtual_sleep_advances_instantly_and_exactly():
    clock = VirtualClock(start=10.0)
    clock.sleep(3600.0)
    clock.sleep(0.25)
    assert clock.now() == pytest.approx(3610.25)


def test_virtual_advance_to_never_goes_back():
    clock = VirtualClock()
    clock.advance_to(5.0)
    clock.advance_to(2.0)
    assert clock.now() == 5.0
    with pytest.raises(ValueError):
        clock.sleep(-1.0)


def test_epoch_follows_the_clock_timeline():
    clock = VirtualClock(start=0.0, epoch0=1_000_000.0)
    clock.sleep(60.0)
    assert clock.epoch() == pytest.approx(1_000_060.0)


def test_wait_until_returns_when_predicate_becomes_true():
    clock = VirtualClock()
    assert clock.wait_until(lambda: clock.now() >= 42.0, timeout=100.0, poll=1.0)
    assert clock.now() == pytest.approx(42.0)


def test_wait_until_times_out_at_the_deadline():
    clock = VirtualClock()
    assert not wait_until(clock, lambda: False, timeout=30.0, poll=7.0)
    assert clock.now() == pytest.approx(30.0)


def test_wait_until_rejects_bad_poll():
    with pytest.raises(ValueError):
        wait_until(VirtualClock(), lambda: True, timeout=1.0, poll=0.0)


def test_scaled_clock_runs_faster_than_real_time():
    real, scaled = RealClock(), ScaledClock(speed=1000.0)
    r0, s0 = real.now(), scaled.now()
    scaled.sleep(5.0)  # 5 ms of real time
    assert scaled.now() - s0 >= 5.0
    assert real.now() - r0 < 1.0
    with pytest.raises(ValueError):
        ScaledClock(speed=0)


def test_scaled_clock_speed_changes_keep_time_continuous():
    clock = ScaledClock(speed=1.0, start=100.0)
    wall = time.monotonic()
    before = clock.now()
    clock.set_speed(1e6)          # from now on a real microsecond is a clock second
    after = clock.now()
    wall = time.monotonic() - wall
    assert before <= after <= before + 1e6 * wall + 1e-3   # no jump at the change: only
    clock.sleep(500.0)                                      # the real time passed, then fast
    assert clock.now() >= after + 500.0 and clock.speed == 1e6
    clock.set_speed(2.0)
    epoch = clock.epoch() - clock.now()
    clock.set_speed(3.0)
    assert abs((clock.epoch() - clock.now()) - epoch) < 1e-2   # epoch follows the clock
    with pytest.raises(ValueError):
        clock.set_speed(0.0)


def test_paced_clock_counts_only_sleeps_not_the_work_between():
    clock = PacedClock(speed=1e4, start=5.0)
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:    # the host busy for 50 ms = 500 s at this speed
        pass
    assert clock.now() == 5.0
    clock.sleep(100.0)                    # paced: ~10 ms of real time
    assert clock.now() == pytest.approx(105.0)
    with pytest.raises(ValueError):
        clock.sleep(-1.0)


def test_paced_clock_sleeps_follow_the_pace_and_speed_changes():
    clock = PacedClock(speed=100.0)
    t0 = time.monotonic()
    clock.sleep(10.0)                     # 0.1 s real at 100x
    assert time.monotonic() - t0 >= 0.09
    clock.set_speed(1e5)
    t0 = time.monotonic()
    clock.sleep(1000.0)                   # 10 ms real
    assert time.monotonic() - t0 < 0.09 and clock.now() == pytest.approx(1010.0)
    with pytest.raises(ValueError):
        clock.set_speed(0.0)


def test_paced_clock_concurrent_sleepers_never_take_time_back():
    clock = PacedClock(speed=1e4)
    long = threading.Thread(target=clock.sleep, args=(50.0,))
    long.start()
    clock.sleep(1.0)
    long.join()
    # 50: the short sleep ran while the long one slept; 51: a loaded host started it only
    # after the long one had ended. Never less: a sleeper does not take the clock back.
    assert clock.now() in (pytest.approx(50.0), pytest.approx(51.0))
