"""Selenium driving the system's headless Chromium (Debian's chromium + chromium-driver packages).

Nothing is downloaded at run time: the driver path is given explicitly, so Selenium Manager is
never asked to fetch one (SE_OFFLINE keeps it offline for anything else). A failing test leaves a
screenshot and the page's HTML in $SIGIL_TEST_ARTIFACTS (default ./test-artifacts/).
"""
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SIGIL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SIGIL_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("SIGIL_TEST_ARTIFACTS", "test-artifacts"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: apt-get install -y chromium chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, request, live_server):
    """The browser, logged out, with the live server's URL; screenshots the page if the test fails."""
    browser.delete_all_cookies()
    browser.base_url = live_server.url
    yield browser
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(browser.page_source, encoding="utf-8")
