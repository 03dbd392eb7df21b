#!/usr/bin/env python3
"""The web pages in a real browser: Debian's headless Chromium driven over WebDriver (selenium,
chromedriver) against `feedd run` on 127.0.0.1, the feeds served by a local HTTP server.

One daemon and one browser for the cases (--case, all by default): Chromium takes seconds to start.
  search_article  log in, search for the seed article, open it: its edit shows the changed sentence
  feeds_failing   /feeds shows a failing feed as failing
  script_title    a feed title carrying <script> is text: no dialog, no console error
Screenshots of the pages go to --out, for a person to look at.
"""
import argparse
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def fail(message):
    print("browser test: " + message, file=sys.stderr)
    sys.exit(1)


try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as missing:
    fail("python3-selenium is missing (%s): scripts/install-deps installs it" % missing)

HOSTILE_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>&amp;lt;script&amp;gt;alert('feed')&amp;lt;/script&amp;gt;Hostile feed</title>
<link>http://hostile.invalid/</link>
<item><title>&amp;lt;script&amp;gt;alert('title')&amp;lt;/script&amp;gt;Hostile title</title>
<guid>hostile-1</guid><pubDate>Sat, 24 Aug 2024 08:00:00 +0800</pubDate>
<description>&lt;p&gt;Hostile body&lt;script&gt;alert(2)&lt;/script&gt;&lt;/p&gt;</description></item>
</channel></rss>"""


class Feeds(http.server.BaseHTTPRequestHandler):
    """The feeds: the CGTN fixture (its second poll edited), a hostile one, a broken one."""

    bodies = {}

    def do_GET(self):
        body = Feeds.bodies.get(self.path)
        if body is None:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def navigate(web, action):
    """Runs `action` (a click or a submit that leads to another page) and returns once the browser
    has replaced the page: WebDriver's click returns when the event is dispatched, and a look at
    the page before the next one has loaded sees the old one (the login form, still there)."""
    old = web.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(web, 15).until(expected_conditions.staleness_of(old))


def wait_for_port(port, process, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail("feedd run exited with status %d" % process.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    fail("feedd run did not listen on 127.0.0.1:%d within %d s" % (port, seconds))


def find_browser():
    """Chromium and its driver, or a clear failure before anything starts."""
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        fail("chromium and chromium-driver are needed (scripts/install-deps installs them); missing: " +
             ", ".join(name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path))
    return chromium, driver


def browser(chromium, driver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1000,1400", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    web = webdriver.Chrome(service=Service(driver), options=options)
    web.set_page_load_timeout(15)
    return web


def screenshot(web, path, width=1000):
    """The whole page, not only the window: the window grows to the page's height first."""
    web.set_window_size(width, 600)
    height = web.execute_script("return document.documentElement.scrollHeight")
    web.set_window_size(width, min(max(height + 200, 600), 8000))  # the window is more than its page
    web.save_screenshot(path)


def no_dialog_and_no_console_error(web, where):
    try:
        text = web.switch_to.alert.text
        fail("script_title: %s: a dialog opened: %r" % (where, text))
    except NoAlertPresentException:
        pass
    errors = [entry for entry in web.get_log("browser") if entry.get("level") == "SEVERE"]
    if errors:
        fail("script_title: %s: console errors: %r" % (where, errors))


def search_article(web, base, out):
    """Search for the seed article, open it: its edit shows the sentence that changed, and when."""
    web.get(base + "/")
    box = web.find_element(By.NAME, "search")
    box.send_keys('"western region" leadership')
    navigate(web, box.submit)
    links = [a for a in web.find_elements(By.CSS_SELECTOR, "ol.results h2 a") if "western region" in a.text]
    if not links:
        fail("search_article: the search did not find the seed article: " +
             web.find_element(By.TAG_NAME, "main").text)
    screenshot(web, os.path.join(out, "search.png"))
    navigate(web, links[0].click)
    added = " ".join(e.text for e in web.find_elements(By.TAG_NAME, "ins"))
    if "according to a statement released after it." not in added:
        fail("search_article: the article's edit does not show the changed sentence; added: %r" % added)
    if not web.find_elements(By.CSS_SELECTOR, "section li time"):
        fail("search_article: the edit does not say when")
    screenshot(web, os.path.join(out, "article.png"))
    # As a phone shows it: no page wider than the screen.
    screenshot(web, os.path.join(out, "article-phone.png"), width=390)
    wide = web.execute_script("return document.documentElement.scrollWidth")
    if wide > 390:
        fail("search_article: the article is %d px wide on a 390 px phone" % wide)


def feeds_failing(web, base, out):
    """/feeds shows the failing feed as failing, the working one as ok."""
    web.get(base + "/feeds")
    rows = {r.find_element(By.TAG_NAME, "th").text.split("\n")[0]: r
            for r in web.find_elements(By.CSS_SELECTOR, "tbody tr")}
    if "broken" not in rows or "failing" not in rows["broken"].find_element(By.TAG_NAME, "td").text:
        fail("feeds_failing: /feeds does not show the broken feed as failing")
    if "ok" not in rows["cgtn-china"].find_element(By.TAG_NAME, "td").text:
        fail("feeds_failing: /feeds does not show the working feed as ok")
    screenshot(web, os.path.join(out, "feeds.png"))


def script_title(web, base, out):
    """A feed's title and an item's title carrying <script> are text; nothing runs or complains."""
    web.get_log("browser")  # what came before is not this check's
    for target in ("/?feed=hostile", "/feeds"):
        web.get(base + target)
        page = web.find_element(By.TAG_NAME, "main").text
        if "<script>alert(" not in page:
            fail("script_title: %s: the feed's <script> is not shown as text" % target)
        no_dialog_and_no_console_error(web, target)
    web.get(base + "/?feed=hostile")
    navigate(web, web.find_element(By.CSS_SELECTOR, "ol.results h2 a").click)
    no_dialog_and_no_console_error(web, "the hostile article")
    screenshot(web, os.path.join(out, "hostile.png"))


CASES = {"search_article": search_article, "feeds_failing": feeds_failing, "script_title": script_title}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", nargs="+", choices=sorted(CASES), default=sorted(CASES))
    parser.add_argument("--feedd", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    chromium, driver = find_browser()
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(args.fixtures, "cgtn-china.rss"), "rb") as f:
        Feeds.bodies["/china.rss"] = f.read()
    Feeds.bodies["/hostile.xml"] = HOSTILE_RSS
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feeds = "http://127.0.0.1:%d" % server.server_address[1]

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="feedd-browser-")
    daemon = None
    web = None
    try:
        port = free_port()
        password = os.path.join(work, "alice.password")
        with open(password, "w") as f:
            f.write("alice-secret\n")
        os.chmod(password, 0o600)
        config = os.path.join(work, "feeds.toml")
        with open(config, "w") as f:
            f.write('[settings]\ndatabase = "feedd.db"\nallow_private_networks = true\n\n'
                    '[http]\nlisten = "127.0.0.1:%d"\n\n'
                    '[[user]]\nname = "alice"\npassword_file = "alice.password"\n\n'
                    '[[feed]]\nname = "cgtn-china"\nurl = "%s/china.rss"\n\n'
                    '[[feed]]\nname = "hostile"\nurl = "%s/hostile.xml"\n\n'
                    '[[feed]]\nname = "broken"\nurl = "%s/broken.xml"\n' % (port, feeds, feeds, feeds))

        def poll():
            done = subprocess.run([args.feedd, "--config", config, "poll", "--once", "--force"],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode not in (0, 1):  # 1: a feed failed, as the broken one does
                fail("feedd poll: %s" % done.stderr)

        poll()
        with open(os.path.join(args.fixtures, "cgtn-china-2.rss"), "rb") as f:
            Feeds.bodies["/china.rss"] = f.read()  # the seed article's body edited
        poll()

        daemon = subprocess.Popen([args.feedd, "--config", config, "run"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_for_port(port, daemon)
        base = "http://127.0.0.1:%d" % port
        setup = time.monotonic() - started
        web = browser(chromium, driver)
        browser_start = time.monotonic() - started - setup

        # Log in through the form, as a person does.
        web.get(base + "/")
        if not web.current_url.endswith("/login"):
            fail("an anonymous visit was not sent to /login but to " + web.current_url)
        web.find_element(By.NAME, "Email").send_keys("alice")
        web.find_element(By.NAME, "Passwd").send_keys("alice-secret")
        navigate(web, web.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click)
        if web.find_elements(By.NAME, "Passwd"):
            fail("the login form did not log alice in: " + web.page_source[:500])

        for case in args.case:
            began = time.monotonic()
            CASES[case](web, base, args.out)
            print("browser test %s: ok in %.1f s" % (case, time.monotonic() - began))
        print("screenshots in %s; setup %.1f s, browser start %.1f s" % (args.out, setup, browser_start))
    finally:
        if web is not None:
            web.quit()
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
