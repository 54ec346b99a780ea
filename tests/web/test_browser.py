"""The web view in a real headless Chromium (Debian's chromium + chromedriver; .ci/run
installs them): a run page served by waitress follows a run while points arrive, on
either backend."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from labctl.capabilities import ImpedancePoint
from labctl.store import Store
from labctl.web.app import create_app

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver")
PAGE_WAIT_S = 20.0        # the page polls every 3 s


@pytest.fixture
def served(location):
    """A waitress server on a free loopback port over a fresh database (a file; a lab's
    PostgreSQL database)."""
    import waitress.server

    db = location
    Store.open(db).close()
    server = waitress.server.create_server(create_app(db), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, name="test-web-server")
    thread.start()
    yield db, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join()
    server.task_dispatcher.shutdown()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def spectrum(n: int, R: float = 1e4) -> list[ImpedancePoint]:
    f = np.logspace(5, 0, n)
    z = R / (1 + 2j * np.pi * f * R * 1e-9)
    return [ImpedancePoint(float(i), float(fi), complex(zi), 0.01) for i, (fi, zi) in enumerate(zip(f, z))]


def test_a_run_page_follows_a_running_run(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    db, url = served
    with Store.open(db) as store:
        run_id = store.create_run("live", "# recipe", {}, {"name": "LLZO-7"})
        step_id = store.start_step(run_id, "eis", {}, temperature_K=573.15, path="steps[1]/eis")
        store.add_impedance(step_id, spectrum(5))
    browser.get(f"{url}/runs/{run_id}")
    text = lambda id_: browser.find_element(By.ID, id_).text   # noqa: E731
    assert text("status") == "running" and text("current") == "steps[1]/eis"
    assert text("points") == "5"
    nyquist = browser.find_element(By.ID, "plot-nyquist")
    assert browser.execute_script("return arguments[0].naturalWidth", nyquist) > 100
    first_src = nyquist.get_attribute("src")
    with Store.open(db) as store:                      # points arrive while the page is open
        store.add_impedance(step_id, spectrum(12)[5:])
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda _: text("points") == "12")
    WebDriverWait(browser, PAGE_WAIT_S).until(
        lambda _: browser.find_element(By.ID, "plot-nyquist").get_attribute("src") != first_src)
    with Store.open(db) as store:
        store.finish_step(step_id, "done", {"r_ion_Ohm": 1e4})
        store.finish_run(run_id, "done")
    WebDriverWait(browser, PAGE_WAIT_S).until(lambda _: text("status") == "done")
    assert text("current") == "-"
