"""The dashboard as a person sees it, in headless Chromium: every target with its
state, a drift's live and git values and who made it, a failure's hint, the
guardrail findings on live resources (owned or not, live), a new commit appearing
without a reload, nothing fetched from anywhere but driftless, no secret
on any page, and the viewer token enforced."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import estate as est


def rows(driver) -> dict[str, str]:
    out = {}
    for tr in driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr"):
        out[tr.find_element(By.CSS_SELECTOR, "th a").text] = tr.get_attribute("data-state")
    return out


def test_home_lists_every_target_with_its_state(estate, driver):
    driver.get(estate.controller.url + "/")
    est.wait_until("both rows", lambda: set(rows(driver)) == {"web", "broken"})
    states = rows(driver)
    assert states["broken"] == "failed", states
    assert states["web"] in ("converged", "drifted"), states
    broken = driver.find_element(By.XPATH, "//tr[th/a='broken']")
    assert "Failed: retrying" in broken.text
    # The filter works without script, from the query string.
    driver.get(estate.controller.url + "/?state=failed")
    assert rows(driver) == {"broken": "failed"}
    assert "1 of 2 targets" in driver.find_element(By.ID, "count").text


def test_a_drift_shows_live_and_git_values_and_who_changed_it(estate, driver):
    est.retention_by_hand(estate.endpoint, 60)
    driver.get(estate.controller.url + "/")
    est.wait_until("web drifted, live", lambda: rows(driver).get("web") == "drifted")
    driver.find_element(By.LINK_TEXT, "web").click()
    est.wait_until("the drift on the page", lambda: "LogGroup//ui/app" in driver.page_source)
    drift = driver.find_element(By.CSS_SELECTOR, "article.drift")
    assert drift.find_element(By.CSS_SELECTOR, "td.live").text == "60"
    assert drift.find_element(By.CSS_SELECTOR, "td.git").text == "14"
    assert "left in place" in drift.text
    assert "PutRetentionPolicy" in drift.text, drift.text
    assert est.ACCOUNT in drift.text, drift.text


def test_a_failed_target_shows_its_hint(estate, driver):
    driver.get(estate.controller.url + "/targets/broken")
    hint = driver.find_element(By.CSS_SELECTOR, ".failures .hint")
    assert hint.text.startswith("Hint:"), hint.text
    assert "retries with backoff" in hint.text
    assert "cloudwatch" in driver.find_element(By.CSS_SELECTOR, ".failures").text.lower()


# Each row of the findings table at once (the live update may swap it any time).
FINDINGS_JS = """return Array.from(document.querySelectorAll('table.findings tbody tr')).map(
  tr => [tr.cells[0].firstChild.textContent, tr.cells[1].textContent,
         tr.querySelector('td.owned').textContent, tr.getAttribute('data-owned')]);"""


def findings(driver) -> dict[str, list[str]]:
    return {resource: rest for resource, *rest in driver.execute_script(FINDINGS_JS)}


def test_guardrail_findings_show_the_rule_the_resource_and_who_owns_it(estate, driver):
    driver.get(estate.controller.url + "/targets/web")
    driver.execute_script("window.__sameDocument = 'yes';")
    est.log_group_by_hand(estate.endpoint, "/ui/by-hand")
    est.wait_until("the new finding, live", lambda: "LogGroup//ui/by-hand" in findings(driver))
    assert driver.execute_script("return window.__sameDocument;") == "yes", "the page was reloaded"
    rows = findings(driver)
    assert rows["LogGroup//ui/by-hand"] == ["required-tags warn", "not owned", "false"], rows
    rule, owned, flag = rows["LogGroup//ui/app"]
    assert (rule, flag) == ("required-tags warn", "true"), rows
    assert owned.startswith("owned: ") and "logs.yaml:" in owned, owned
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=guardrails]").text
    assert "tag `owner` is missing" in section, section
    # The same table without JavaScript: it is in the page the server sends.
    request = urllib.request.Request(estate.controller.url + "/targets/web",
                                     headers={"Authorization": f"Bearer {est.UI_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        html = r.read().decode()
    assert 'class="findings"' in html and "LogGroup//ui/by-hand" in html
    # /status carries them (rule, resource, owned).
    listed = estate.controller.status()["targets"]["web"]["guardrailFindings"]
    by_hand = next(f for f in listed if f["name"] == "/ui/by-hand")
    assert (by_hand["rule"], by_hand["kind"], by_hand["owned"]) == ("required-tags", "LogGroup", False), by_hand


def test_a_new_commit_appears_without_a_reload(estate, driver):
    driver.get(estate.controller.url + "/")
    driver.execute_script("window.__sameDocument = 'yes';")
    estate.origin.commit({"logs.yaml": est.LOG_GROUP.replace("team: web", "team: storefront")},
                         "logs: the storefront team owns /ui/app", author="Bo Dev <bo@example.com>")
    est.wait_until("the new commit on the page", lambda: "the storefront team owns" in
                   driver.find_element(By.ID, "live").text)
    assert driver.execute_script("return window.__sameDocument;") == "yes", "the page was reloaded"
    assert "Bo Dev" in driver.find_element(By.CSS_SELECTOR, ".source").text


def test_the_keyboard_reaches_the_search_and_the_targets(estate, driver):
    driver.get(estate.controller.url + "/")
    search = driver.find_element(By.ID, "q")
    search.send_keys("brok")
    est.wait_until("the rows narrowed", lambda: [
        tr.get_attribute("data-state") for tr in driver.find_elements(By.CSS_SELECTOR, "#targets tbody tr")
        if tr.is_displayed()] == ["failed"])
    search.send_keys(Keys.ENTER)
    est.wait_until("the server's answer", lambda: "q=brok" in driver.current_url)
    assert list(rows(driver)) == ["broken"]
    # Tab order: skip link, the navigation, the state filters, the form.
    driver.get(estate.controller.url + "/")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to content"


def test_no_request_leaves_the_origin(estate, driver):
    driver.get_log("performance")  # drop what came before
    for path in ("/", "/targets/web", "/targets/broken", "/schedule"):
        driver.get(estate.controller.url + path)
        entries = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name);")
        assert all(e.startswith(estate.controller.url + "/") for e in entries), entries
        assert any(e.endswith("/ui/app.js") for e in entries) or path != "/", entries
    driver.execute_script("return 1;")
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls, "the network log is empty"
    outside = [u for u in urls if not u.startswith(estate.controller.url + "/")]
    assert outside == [], outside


def test_no_secret_on_any_page(estate, driver):
    for path in ("/", "/targets/web", "/targets/broken", "/schedule", "/ui/login", "/ui/app.js"):
        driver.get(estate.controller.url + path)
        source = driver.page_source
        for secret in est.SECRETS:
            assert secret not in source, (path, secret)


def test_the_viewer_token_is_enforced(estate):
    url = estate.controller.url
    d = est.browser(log_network=False)
    try:
        d.get(url + "/targets/web")
        assert d.find_elements(By.ID, "token"), "the login form"
        assert "LogGroup" not in d.page_source
        d.find_element(By.ID, "token").send_keys("not-the-token")
        d.find_element(By.CSS_SELECTOR, "form.login button").click()
        # The form posts and the answer is a new page: wait for it, not for the old one.
        est.wait_until("the answer to a wrong token",
                       lambda: d.find_elements(By.CSS_SELECTOR, "[role=alert]"), timeout=20)
        assert "not the viewer token" in d.find_element(By.CSS_SELECTOR, "[role=alert]").text
        est.sign_in(d, url)
        cookie = d.get_cookie("driftless_ui")
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict", cookie
        assert est.UI_TOKEN not in cookie["value"]
        assert d.execute_script("return document.cookie;") == ""
    finally:
        d.quit()
    # A bearer token works for scripts; nothing else does.
    try:
        urllib.request.urlopen(url + "/", timeout=10)
        raise AssertionError("the page was served without the token")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    request = urllib.request.Request(url + "/", headers={"Authorization": f"Bearer {est.UI_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert "broken" in r.read().decode()


def test_a_phone_width_screen_keeps_the_states_readable(estate, driver):
    driver.set_window_size(390, 844)
    try:
        driver.get(estate.controller.url + "/")
        width = driver.execute_script("return document.documentElement.scrollWidth;")
        assert width <= 400, width
        state = driver.find_element(By.XPATH, "//tr[th/a='broken']//span[contains(@class,'state')]")
        assert state.is_displayed() and state.text == "Failed: retrying"
    finally:
        driver.set_window_size(1280, 900)
