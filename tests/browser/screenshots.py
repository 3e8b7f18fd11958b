"""Screenshots of the dashboard's home and a target page (with drift, a failure and
guardrail findings),
made with the same headless Chromium as the browser tests: tests/browser/run
--screenshots DIR (scripts/screenshots.sh writes docs/img/)."""

from __future__ import annotations

import sys
from pathlib import Path

from selenium.webdriver.common.by import By

sys.path.insert(0, str(Path(__file__).resolve().parent))

import estate as est  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    e = est.Estate()
    driver = est.browser(log_network=False)
    try:
        url = e.controller.url
        est.sign_in(driver, url)
        est.retention_by_hand(e.endpoint, 60)
        est.log_group_by_hand(e.endpoint, "/ui/by-hand")
        est.wait_until("web drifted", lambda: e.controller.status()["targets"]["web"]["driftCount"] > 0)
        est.wait_until("the finding on /ui/by-hand", lambda: any(
            f["name"] == "/ui/by-hand" for f in e.controller.status()["targets"]["web"].get("guardrailFindings", [])))
        driver.set_window_size(1280, 720)
        driver.get(url + "/")
        driver.save_screenshot(str(out / "dashboard-home.png"))
        driver.get(url + "/targets/web")
        est.wait_until("the drift", lambda: driver.find_elements(By.CSS_SELECTOR, "article.drift"))
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1280, min(max(720, height), 1600))
        driver.save_screenshot(str(out / "dashboard-target.png"))
        print(f"wrote {out / 'dashboard-home.png'} and {out / 'dashboard-target.png'}")
    finally:
        driver.quit()
        e.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
