"""StopSignals: SIGINT, SIGTERM and SIGHUP become one stop request, taken at safe points."""

import os
import signal
import threading

import pytest

from labctl.shutdown import SIGNALS, Stopped, StopSignals


@pytest.fixture
def sigint_ignored():
    """SIGINT as a background job of a non-interactive shell inherits it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                       (signal.SIGHUP, 129)])
def test_each_signal_is_a_stop_request_taken_at_the_next_safe_point(sig, code):
    before = {s: signal.getsignal(s) for s in SIGNALS}
    reached = []
    with StopSignals() as stop:
        stop.check()                      # nothing asked yet
        signal.raise_signal(sig)          # the handler has run when this returns
        reached.append("after the signal")  # nothing raised asynchronously
        assert stop.requested == sig.name and stop.exit_code == code
        with pytest.raises(Stopped) as caught:
            stop.check()
    assert reached and caught.value.signame == sig.name and caught.value.exit_code == code
    assert {s: signal.getsignal(s) for s in SIGNALS} == before   # handlers restored


def test_sigint_ignored_at_start_still_stops_and_stays_ignored_after(sigint_ignored):
    with StopSignals() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.requested == "SIGINT"
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_further_signals_are_remembered_and_do_not_interrupt_the_stop(capfd):
    calls, cleaned = [], []
    with StopSignals(on_signal=calls.append) as stop:
        signal.raise_signal(signal.SIGTERM)
        try:
            stop.check()
        except Stopped:
            signal.raise_signal(signal.SIGINT)   # impatient user during the safe stop
            signal.raise_signal(signal.SIGHUP)
            cleaned.append("safe state reached")
    assert calls == ["SIGTERM"] and cleaned
    assert stop.received == ["SIGTERM", "SIGINT", "SIGHUP"] and stop.exit_code == 143
    err = capfd.readouterr().err
    assert "SIGTERM: stopping" in err and "SIGINT while stopping on SIGTERM" in err


def test_wait_returns_when_a_signal_arrives_from_outside():
    with StopSignals() as stop:
        assert not stop.wait(timeout=0.01)
        killer = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM))
        killer.start()
        try:
            assert stop.wait(timeout=30)
        finally:
            killer.join()
        assert stop.requested == "SIGTERM"


def test_wait_returns_when_the_signal_hits_another_thread():
    """The kernel may deliver a process signal to any thread (a server's, in labctl sim);
    the main thread, blocked in wait(), must still wake up and run the handler. If it did
    not, only the rescue signal sent to the main thread 20 s later would end the wait."""
    def signal_this_thread_later():
        threading.Event().wait(0.5)            # the main thread is blocked in wait() by then
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    with StopSignals() as stop:
        worker = threading.Thread(target=signal_this_thread_later)
        rescue = threading.Timer(20.0, signal.pthread_kill,
                                 (threading.main_thread().ident, signal.SIGHUP))
        worker.start()
        rescue.start()
        try:
            assert stop.wait()
        finally:
            rescue.cancel()
            worker.join()
        assert stop.received == ["SIGTERM"]      # the rescue was not needed


def test_a_qt_event_loop_wakes_up_for_the_signal(qapp):
    """Idle in Qt's C++ loop, Python runs no handler unless the wake-up socket stirs it."""
    from PySide6.QtCore import QSocketNotifier, QTimer

    fallback = QTimer()
    fallback.setSingleShot(True)
    fallback.timeout.connect(qapp.quit)   # a C++ slot: runs no Python code
    woke_in_time = []
    looping = threading.Event()

    def on_signal(name):
        woke_in_time.append(fallback.isActive())
        qapp.quit()

    with StopSignals(on_signal=on_signal) as stop:
        notifier = QSocketNotifier(stop.fileno(), QSocketNotifier.Type.Read)
        notifier.activated.connect(stop.drain)
        killer = threading.Thread(target=lambda: looping.wait(30) and os.kill(
            os.getpid(), signal.SIGTERM))
        killer.start()
        try:
            QTimer.singleShot(0, looping.set)
            fallback.start(5000)
            qapp.exec()
        finally:
            looping.set()
            killer.join()
            notifier.setEnabled(False)
    assert woke_in_time == [True]

