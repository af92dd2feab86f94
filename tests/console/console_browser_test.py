#!/usr/bin/python3
"""The console in a real browser (headless Chromium driven by Selenium) against `kakitome serve`
started as a process on the fixture mailbox: each role logs in with its token and does its work
by clicking, as docs/console.md describes. Every page must render, log no console error (a CSP
violation is one) and fetch nothing from another origin; main actions work from the keyboard and
every control has a label. Screenshots of each page go to the directory given.

usage: console_browser_test.py KAKITOME_BINARY FIXTURES_DIR SCREENSHOT_DIR
"""
import base64
import csv
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from urllib.parse import urlparse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BINARY, FIXTURES, SCREENSHOTS = (pathlib.Path(p) for p in sys.argv[1:4])
del sys.argv[1:4]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kakitome(*arguments):
    done = subprocess.run([str(BINARY), *arguments], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"kakitome {' '.join(arguments)}: {done.returncode}\n{done.stderr}")
    return done.stdout


def wait_until_serving(base):
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"kakitome serve did not start at {base}")


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = pathlib.Path(tempfile.mkdtemp(prefix="kakitome-console-"))
        data = cls.work / "data"
        (cls.work / "storage.secret").write_text("console-test-secret\n")
        config = cls.work / "kakitome.json"
        config.write_text(json.dumps({
            "campaign": {"usage_period_last": "2027-03-31"},
            "storage": {"endpoint": "https://storage.test.example", "bucket": "kenpo-pr-video",
                        "key": "pr-video.mp4", "access_key_id": "AKIDKAKITOMETEST",
                        "secret_access_key_file": str(cls.work / "storage.secret")}}))
        kakitome("ingest", "--data", str(data), str(FIXTURES / "mail"))
        kakitome("ledger", "checkpoint", "--data", str(data))  # the history's first checkpoint
        # A form mail that forgot its attachment: refused, answered, listed in the inbox.
        forgot = cls.work / "forgot"
        forgot.mkdir()
        subject = base64.b64encode("PR 動画利用申請".encode()).decode()
        (forgot / "forgot.eml").write_text(
            "From: forgot@example.jp\r\nTo: info@mainahokensyou.com\r\n"
            f"Subject: =?UTF-8?B?{subject}?=\r\nMessage-ID: <forgot@console.test>\r\n"
            "Date: Tue, 10 Jun 2025 09:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n\r\n", newline="")
        kakitome("ingest", "--data", str(data), str(forgot))
        cls.tokens = {}
        for name, role in [("sato", "operator"), ("suzuki", "supervisor"), ("ito", "auditor"),
                           ("tanaka", "responder")]:
            created = json.loads(kakitome("token", "create", "--data", str(data), "--role", role,
                                          "--name", name, "--display-name", f"{name} さん"))
            cls.tokens[role] = created["token"]
        # A name that is markup: the console must show it as text, never run it.
        cls.markup = '<img src=x onerror="document.title=\'pwned\'">'
        cls.tokens["markup"] = json.loads(kakitome(
            "token", "create", "--data", str(data), "--role", "operator", "--name", "mallory",
            "--display-name", cls.markup))["token"]
        kakitome("ledger", "checkpoint", "--data", str(data))
        cls.verifier_key = kakitome("ledger", "pubkey", "--data", str(data)).strip()
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.server_log = open(cls.work / "serve.log", "w")
        cls.server = subprocess.Popen(
            [str(BINARY), "serve", "--data", str(data), "--listen", f"127.0.0.1:{cls.port}",
             "--config", str(config)], stdout=cls.server_log, stderr=subprocess.STDOUT)
        wait_until_serving(cls.base)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        cls.downloads = cls.work / "downloads"
        cls.downloads.mkdir()

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.server_log.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.origin = self.base  # where the browser is pointed (the server, or a proxy)
        self.error_shown_on_purpose = False  # a test that provokes an error notice says so
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     f"--user-data-dir={tempfile.mkdtemp(dir=self.work, prefix='chromium-')}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        options.add_experimental_option("prefs", {
            "download.default_directory": str(self.downloads),
            "download.prompt_for_download": False})
        self.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.browser, 15)

    def tearDown(self):
        try:
            self.assert_clean_page()
        finally:
            self.browser.quit()

    # ---- helpers

    def login(self, role):
        self.browser.get(self.origin + "/")
        field = self.wait.until(EC.element_to_be_clickable((By.ID, "token")))
        # Keyboard only: type the token, Enter submits.
        field.send_keys(self.tokens[role], Keys.ENTER)
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "who"), f"({role})"))

    def shot(self, name):
        self.assertGreater(len(self.browser.find_element(By.TAG_NAME, "main").text.strip()), 20,
                           f"the {name} page rendered empty")
        self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def text(self, element_id):
        return self.browser.find_element(By.ID, element_id).text

    def until_text(self, locator, text):
        try:
            self.wait.until(EC.text_to_be_present_in_element(locator, text))
        except TimeoutException:
            notice = self.browser.find_element(By.ID, "notice").text
            found = self.browser.find_element(*locator).text
            raise AssertionError(f"{text!r} never appeared in {locator} ({found!r}); notice: {notice!r}")

    def queue_rows(self):
        return self.browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")

    def assert_clean_page(self):
        """No console errors or CSP violations; nothing fetched from another origin; every
        control labelled."""
        # An API refusal the page shows to the user (a 4xx from /v1/) is Chromium's network log,
        # not an error of the page; anything else (a script error, a CSP violation, a missing
        # file) is.
        # An error the page caught and showed (a failed API call, a script error in a page) is a
        # failure too, unless the test provoked it.
        if not self.error_shown_on_purpose:
            shown = self.browser.execute_script(
                "const n = document.getElementById('notice'); return n && n.classList.contains('error') ? n.textContent : '';")
            self.assertEqual(shown, "", "the page showed an error")
        errors = [entry for entry in self.browser.get_log("browser")
                  if entry["level"] == "SEVERE" and not (
                      entry.get("source") == "network" and "/v1/" in entry["message"]
                      and "status of 4" in entry["message"])]
        self.assertEqual(errors, [], "the console logged errors")
        origins = self.browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".concat([location.href]);")
        for url in origins:
            parsed = urlparse(url)
            if parsed.scheme in ("blob", "data"):
                continue
            self.assertEqual(f"{parsed.scheme}://{parsed.netloc}", self.origin, url)
        unlabelled = self.browser.execute_script("""
            return [...document.querySelectorAll('input, select, textarea, button')]
              .filter(e => !e.hidden && e.type !== 'hidden')
              .filter(e => !(e.closest('label') || e.getAttribute('aria-label') ||
                             (e.tagName === 'BUTTON' && e.textContent.trim())))
              .map(e => e.outerHTML.slice(0, 80));""")
        self.assertEqual(unlabelled, [], "controls without a label")

    # ---- the journeys

    def test_staff_search_filter_open_assign_approve_reject_bulk_and_csv(self):
        self.login("operator")
        self.wait.until(lambda _: len(self.queue_rows()) >= 3)
        self.assertIn("受付一覧", self.browser.find_element(By.TAG_NAME, "h1").text)
        self.shot("queue")
        Select(self.browser.find_element(By.ID, "filter-state")).select_by_value("validated")
        validated = [row.get_attribute("data-application") for row in self.queue_rows()]
        self.assertGreaterEqual(len(validated), 2, "the fixture pairs are validated")
        for row in self.queue_rows():
            self.assertIn("確認済み", row.text)
        # Search narrows the list to one application.
        search = self.browser.find_element(By.ID, "filter-search")
        search.send_keys(validated[0])
        self.assertEqual([r.get_attribute("data-application") for r in self.queue_rows()],
                         [validated[0]])
        search.clear()
        search.send_keys("no-such-application")
        self.assertEqual(self.queue_rows(), [])
        search.send_keys(Keys.CONTROL, "a", Keys.DELETE)
        # The names of the rows on screen arrive (a recorded disclosure), and a search by
        # organisation finds "医療法人社団 桜会 さくら病院" typed in half-width katakana.
        self.wait.until(lambda _: all(
            cell.text for cell in self.browser.find_elements(By.CSS_SELECTOR, "#queue td.organization")))
        organization = self.browser.find_element(By.ID, "filter-organization")
        organization.send_keys("ｻｸﾗ", Keys.ENTER)
        self.wait.until(lambda _: 0 < len(self.queue_rows()) < len(validated))
        for cell in self.browser.find_elements(By.CSS_SELECTOR, "#queue td.organization"):
            self.assertIn("さくら病院", cell.text)
        self.shot("queue-organization-search")
        organization.send_keys(Keys.CONTROL, "a", Keys.DELETE)
        organization.send_keys(Keys.ENTER)
        self.wait.until(lambda _: len(self.queue_rows()) == len(validated))
        # Sorting by a column reverses on the second click.
        sort = self.browser.find_element(By.CSS_SELECTOR, "button[data-sort='application']")
        sort.click()
        ascending = [r.get_attribute("data-application") for r in self.queue_rows()]
        self.browser.find_element(By.CSS_SELECTOR, "button[data-sort='application']").click()
        descending = [r.get_attribute("data-application") for r in self.queue_rows()]
        self.assertEqual(descending, list(reversed(ascending)))
        self.assertEqual(sorted(ascending), ascending)

        # CSV of the current view: UTF-8 with a BOM, Japanese headers, one line per row; the
        # organisations only when asked for (they are recorded as disclosed).
        self.browser.find_element(By.ID, "csv-with-organizations").send_keys(Keys.SPACE)
        self.browser.find_element(By.ID, "csv").click()
        exported = self.downloads / "kakitome-queue.csv"
        for _ in range(50):
            if exported.exists():
                break
            time.sleep(0.1)
        raw = exported.read_bytes()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "a BOM for Excel")
        lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        self.assertEqual(lines[0][0], "申請番号")
        self.assertEqual(lines[0][-1], "団体名")
        self.assertTrue(all(line[-1] for line in lines[1:]), "every exported row has its name")
        self.assertEqual(len(lines) - 1, len(validated))

        # Open the first one: the form's contents, the actions of its state.
        self.browser.find_element(By.LINK_TEXT, validated[0]).click()
        self.until_text((By.ID, "state"), "確認済み")
        self.assertNotEqual(self.text("organization").strip(), "")
        self.assertNotIn("***", self.text("organization"))
        self.assertNotEqual(self.text("usage-channels").strip(), "")
        self.assertRegex(self.text("application-date"), r"^\d{4}-\d{2}-\d{2}$")
        self.assertEqual(self.text("consent"), "同意する")
        self.shot("application")
        offered = {b.get_attribute("id") for b in
                   self.browser.find_elements(By.CSS_SELECTOR, "#actions button")}
        self.assertTrue({"command-assign", "command-approve", "command-reject"} <= offered, offered)
        # Assign by keyboard: type the name, Enter submits.
        self.browser.find_element(By.ID, "assignee-input").send_keys("sato", Keys.ENTER)
        self.until_text((By.ID, "assignee"), "sato")
        self.browser.find_element(By.ID, "command-approve").click()
        self.until_text((By.ID, "state"), "URL 発行済み")
        # The two mails that came in, and the link's notice going out (the server has no SMTP
        # server configured, so it waits or fails with a retry).
        mails = self.text("mails")
        self.assertIn("申請書メール", mails)
        self.assertIn("パスワードメール", mails)
        self.assertRegex(mails, r"ダウンロード URL のお知らせ.*(送信待ち|送信失敗（再送予定）|送信済み)")
        self.shot("application-approved")

        # Reject the second with a reason.
        self.browser.get(f"{self.base}/console/#/applications/{validated[1]}")
        self.until_text((By.ID, "state"), "確認済み")
        self.browser.find_element(By.CSS_SELECTOR, "input[data-code='missing_organization']").click()
        self.browser.find_element(By.ID, "command-reject").click()
        self.until_text((By.ID, "state"), "不備あり")
        self.until_text((By.ID, "reasons"), "missing_organization")

        # Bulk assign every remaining application, shown row by row.
        self.browser.find_element(By.ID, "nav-queue").click()
        self.wait.until(lambda _: len(self.queue_rows()) >= 3)
        boxes = self.browser.find_elements(By.CSS_SELECTOR, "#queue tbody input[type=checkbox]")
        for box in boxes:
            box.click()
        self.browser.find_element(By.ID, "bulk-assignee").send_keys("sato")
        self.browser.find_element(By.ID, "bulk-assign").click()
        self.until_text((By.ID, "notice"), f"{len(boxes)} 件を処理しました")
        for row in self.queue_rows():
            self.assertIn("sato", row.text)
        self.shot("queue-bulk")
        # Bulk approve of all three: only the validated one may be approved; the one with its
        # link issued (409) and the rejected one (an operator may not override: 403) fail,
        # each shown on its row.
        for box in self.browser.find_elements(By.CSS_SELECTOR, "#queue tbody input[type=checkbox]"):
            box.click()
        self.error_shown_on_purpose = True  # two of three approvals are refused, as they must be
        self.browser.find_element(By.ID, "bulk-approve").click()
        self.until_text((By.ID, "notice"), "1 件を処理しました / 2 件が失敗しました")
        failed = self.browser.find_elements(By.CSS_SELECTOR, "#queue tbody td.rows-failed")
        self.assertEqual(len(failed), 2, [cell.text for cell in failed])
        self.assertTrue(any("権限" in cell.text for cell in failed), [cell.text for cell in failed])
        self.shot("queue-bulk-approve")

        # Withdraw the first with its reason, typed in (the event records why).
        self.browser.get(f"{self.base}/console/#/applications/{validated[0]}")
        self.until_text((By.ID, "state"), "URL 発行済み")
        self.assertEqual(self.text("legal-hold"), "いいえ")
        self.browser.find_element(By.ID, "reason-withdraw").send_keys("申請者から取り下げ", Keys.ENTER)
        self.until_text((By.ID, "state"), "取り下げ")

        # Logout forgets the token: the next page asks for one again.
        self.browser.find_element(By.ID, "logout").click()
        self.wait.until(EC.element_to_be_clickable((By.ID, "token")))
        self.assertIsNone(self.browser.execute_script("return sessionStorage.getItem('kakitome.token')"))
        self.assertEqual(self.browser.execute_script("return localStorage.length"), 0)
        self.assertEqual(self.browser.get_cookies(), [])

    def test_leaving_a_loading_queue_stops_its_reads(self):
        """The queue loads its pages in the background; leaving it must stop that, or a slow
        link keeps fetching (and drawing) 100k rows for a page nobody sees (issue 12 review)."""
        data = self.work / "many"
        kakitome("bench", "seed-queue", "--data", str(data), "--applications", "3000")
        operator = json.loads(kakitome("token", "create", "--data", str(data), "--role",
                                       "operator", "--name", "many"))["token"]
        port = free_port()
        server = subprocess.Popen([str(BINARY), "serve", "--data", str(data), "--demo", "--listen",
                                   f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            self.origin = f"http://127.0.0.1:{port}"
            wait_until_serving(self.origin)
            self.browser.set_network_conditions(latency=400, download_throughput=2 * 1024 * 1024,
                                                upload_throughput=2 * 1024 * 1024)
            self.browser.get(self.origin + "/")
            field = self.wait.until(EC.element_to_be_clickable((By.ID, "token")))
            field.send_keys(operator, Keys.ENTER)
            self.wait.until(lambda _: len(self.queue_rows()) > 0)
            self.assertIn("読み込み中", self.text("row-count"), "the other pages are still loading")
            left_at = self.browser.execute_script(
                "document.getElementById('nav-inbox').click(); return performance.now();")
            self.wait.until(EC.presence_of_element_located((By.ID, "inbox-kind")))
            time.sleep(2.5)  # several round trips at 400 ms: time for stray page reads
            later = self.browser.execute_script(
                "return performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes('/v1/queue?') && e.startTime > arguments[0])"
                ".map(e => e.name);", left_at)
            self.assertEqual(later, [], "queue pages were still read after leaving the queue")
            self.assertEqual(self.browser.find_elements(By.ID, "queue"), [])
        finally:
            server.terminate()
            server.wait(timeout=30)

    def test_markup_in_data_is_shown_as_text(self):
        self.browser.get(self.origin + "/")
        field = self.wait.until(EC.element_to_be_clickable((By.ID, "token")))
        field.send_keys(self.tokens["markup"], Keys.ENTER)
        self.until_text((By.ID, "who"), self.markup)
        self.wait.until(lambda _: len(self.queue_rows()) > 0)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "img"), [])
        self.assertNotEqual(self.browser.title, "pwned")

    def test_staff_inbox_lists_the_mail_that_went_nowhere(self):
        self.login("operator")
        self.browser.find_element(By.ID, "nav-inbox").send_keys(Keys.ENTER)
        self.until_text((By.ID, "inbox"), "添付もパスワードもなし")
        self.assertIn("件名が異なる", self.text("inbox"))  # the fixture mailbox's unrelated mail
        self.assertNotIn("forgot@", self.browser.find_element(By.TAG_NAME, "main").text)
        self.shot("inbox")
        Select(self.browser.find_element(By.ID, "inbox-kind")).select_by_value("refused")
        self.wait.until(lambda _: "件名が異なる" not in self.text("inbox-table"))
        rows = self.browser.find_elements(By.CSS_SELECTOR, "#inbox tbody tr")
        self.assertEqual(len(rows), 1)
        self.assertNotEqual(rows[0].get_attribute("data-answer"), "", "the refusal has an answer")
        self.browser.find_element(By.ID, "inbox-csv").click()
        exported = self.downloads / "kakitome-inbox.csv"
        self.wait.until(lambda _: exported.exists() and exported.stat().st_size > 0)
        lines = list(csv.reader(exported.read_bytes().decode("utf-8-sig").splitlines()))
        self.assertEqual(len(lines), 2)
        self.assertIn("添付もパスワードもなし", lines[1])

    def test_auditor_verifies_the_checkpoint_and_a_trail_in_the_browser(self):
        self.login("auditor")
        self.browser.find_element(By.ID, "nav-queue").click()
        self.wait.until(lambda _: len(self.queue_rows()) >= 1)
        application = self.queue_rows()[0].get_attribute("data-application")
        now_rows = len(self.queue_rows())
        # Time travel: before anything was received the queue was empty; now it is not.
        self.browser.execute_script("arguments[0].value = '2025-01-01T00:00';",
                                    self.browser.find_element(By.ID, "as-of-time"))
        self.browser.find_element(By.ID, "show-as-of").click()
        self.until_text((By.TAG_NAME, "h1"), "過去の時点の受付一覧")
        self.assertEqual(self.queue_rows(), [])
        self.until_text((By.ID, "row-count"), "0 件")
        self.shot("queue-as-of")
        self.browser.find_element(By.ID, "back-to-now").click()
        self.wait.until(lambda _: len(self.queue_rows()) == now_rows)
        self.browser.find_element(By.ID, "nav-ledger").click()
        key = self.wait.until(EC.element_to_be_clickable((By.ID, "verifier-key")))
        # A key that is not the log's fails.
        key.send_keys(self.verifier_key[:-2] + ("AA" if not self.verifier_key.endswith("AA") else "BB"))
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.until_text((By.ID, "checkpoint-result"), "検証失敗")
        key.clear()
        key.send_keys(self.verifier_key)
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.until_text((By.ID, "checkpoint-result"), "検証成功")
        # The right key on an altered note (it claims another tree size): the signature fails.
        note = self.browser.find_element(By.ID, "checkpoint-note")
        signed = note.get_attribute("value")
        origin, size, rest = signed.split("\n", 2)
        note.clear()
        note.send_keys(f"{origin}\n{int(size) + 1}\n{rest}")
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.until_text((By.ID, "checkpoint-result"), "検証失敗: the signature does not verify")
        note.clear()
        note.send_keys(signed)
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.until_text((By.ID, "checkpoint-result"), "検証成功")
        # The history: every checkpoint's signature, and each one extends the next.
        self.wait.until(lambda _: len(self.browser.find_elements(
            By.CSS_SELECTOR, "#checkpoint-history tbody tr")) >= 2)
        signatures = [c.text for c in self.browser.find_elements(By.CSS_SELECTOR, "#checkpoint-history .signature-result")]
        consistency = [c.text for c in self.browser.find_elements(By.CSS_SELECTOR, "#checkpoint-history .consistency-result")]
        self.assertEqual(signatures, ["検証成功"] * len(signatures))
        # Newest first: each older checkpoint is proven contained in the one above it.
        self.assertEqual(consistency, [""] + ["検証成功"] * (len(consistency) - 1))
        sizes = [int(r.get_attribute("data-size")) for r in self.browser.find_elements(By.CSS_SELECTOR, "#checkpoint-history tbody tr")]
        # A consistency proof checked in the browser: the real one holds, a changed hash does not.
        checks = self.browser.execute_async_script("""
            const [older, newer, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
            (async () => {
              const { verifyConsistency, fromBase64 } = await import('/console/verify.js');
              const headers = { Authorization: 'Bearer ' + sessionStorage.getItem('kakitome.token') };
              const proof = await (await fetch(`/v1/ledger/proof/consistency?from=${older}&to=${newer}`, { headers })).json();
              const [from, to] = [fromBase64(proof.from_root), fromBase64(proof.to_root)];
              const changed = proof.proof.map((h, i) => (i === 0 ? (h[0] === 'A' ? 'B' : 'A') + h.slice(1) : h));
              done([await verifyConsistency(older, newer, from, proof.proof, to),
                    await verifyConsistency(older, newer, from, changed, to),
                    await verifyConsistency(older, newer, to, proof.proof, to)]);
            })();""", sizes[-1], sizes[0])
        self.assertEqual(checks, [True, False, False])
        # Pinned: the browser remembers the checkpoint it verified; a later one that does not
        # extend it (here: the same size, another root) is shown as a rewritten log.
        pin = self.browser.find_element(By.ID, "pin-key")
        if not pin.is_selected():
            pin.send_keys(Keys.SPACE)
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.wait.until(lambda _: self.browser.execute_script("return localStorage.getItem('kakitome.checkpoint')"))
        self.browser.execute_script(
            "localStorage.setItem('kakitome.checkpoint', JSON.stringify({size: arguments[0], root: '00'.repeat(32)}));",
            sizes[0])
        self.browser.find_element(By.ID, "verify-checkpoint").click()
        self.until_text((By.ID, "pinned-result"), "記録が書き換えられています")
        self.browser.execute_script("localStorage.clear();")
        self.browser.find_element(By.ID, "trail-application").send_keys(application, Keys.ENTER)
        self.wait.until(lambda _: self.browser.find_elements(By.CSS_SELECTOR, "#trail tbody tr"))
        results = [cell.text for cell in self.browser.find_elements(By.CSS_SELECTOR, "#trail .proof-result")]
        self.assertTrue(results and all(r == "検証成功" for r in results), results)
        self.shot("ledger")
        # The leaf is the hash the browser computes from the event as shown: the server's own
        # hash of every event is reproduced, and an event shown with other content is not.
        hashes_match = self.browser.execute_async_script("""
            const [application, done] = [arguments[0], arguments[arguments.length - 1]];
            (async () => {
              const { eventHash } = await import('/console/verify.js');
              const headers = { Authorization: 'Bearer ' + sessionStorage.getItem('kakitome.token') };
              const page = await (await fetch(`/v1/applications/${application}/events`, { headers })).json();
              const results = [];
              for (const event of page.items) {
                results.push([await eventHash(event) === event.hash,
                              await eventHash({ ...event, payload: { ...event.payload, x: 1 } }) === event.hash]);
              }
              done(results);
            })();""", application)
        self.assertTrue(hashes_match)
        self.assertEqual(hashes_match, [[True, False]] * len(hashes_match))
        # A tampered proof is shown failing.
        proof = self.browser.find_element(By.CSS_SELECTOR, "#trail textarea")
        hashes = json.loads(proof.get_attribute("value"))
        self.assertTrue(hashes, "the first event's proof has hashes")
        first = hashes[0]
        hashes[0] = ("B" if first[0] != "B" else "C") + first[1:]
        proof.clear()
        proof.send_keys(json.dumps(hashes))
        self.browser.find_element(By.CSS_SELECTOR, "#trail tbody tr button").click()
        self.until_text((By.CSS_SELECTOR, "#trail .proof-result"), "検証失敗")
        self.shot("ledger-tampered")

    def test_responder_sees_who_saw_what_reports_scopes_reviews_and_notifies(self):
        # Someone opens an application first, so there is a disclosure to find.
        self.login("operator")
        self.wait.until(lambda _: len(self.queue_rows()) >= 1)
        application = self.queue_rows()[0].get_attribute("data-application")
        self.browser.find_element(By.LINK_TEXT, application).click()
        self.wait.until(EC.presence_of_element_located((By.ID, "organization")))
        self.browser.find_element(By.ID, "logout").click()

        self.login("responder")
        self.wait.until(EC.element_to_be_clickable((By.ID, "who-saw-application")))
        self.browser.find_element(By.ID, "who-saw-application").send_keys(application, Keys.ENTER)
        self.until_text((By.ID, "who-saw"), "sato")
        self.browser.find_element(By.ID, "saw-what-principal").send_keys("sato", Keys.ENTER)
        self.until_text((By.ID, "saw-what"), "GET /v1/applications/{id}")
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 33 * 3600))
        for field, day in [("review-from", today), ("review-to", tomorrow)]:
            self.browser.execute_script(
                "arguments[0].value = arguments[1];",
                self.browser.find_element(By.ID, field), f"{day}T00:00")
        # Report, scope the one application, review it within the incident.
        self.browser.find_element(By.ID, "incident-description").send_keys("キャッシュ設定の誤り")
        self.browser.find_element(By.ID, "report-incident").click()
        self.until_text((By.ID, "notice"), "登録しました")
        reported = self.browser.find_element(By.ID, "incident-id").get_attribute("value")
        self.assertNotEqual(reported, "")
        # The list of incidents shows it; choosing it takes its id back into the form.
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#incidents tr[data-incident='{reported}']")))
        self.browser.find_element(By.ID, "incident-id").clear()
        self.browser.find_element(By.CSS_SELECTOR, f"button[data-choose='{reported}']").send_keys(Keys.ENTER)
        self.assertEqual(self.browser.find_element(By.ID, "incident-id").get_attribute("value"), reported)
        # The scope is picked from the queue (its rows hold no personal data), by keyboard.
        self.browser.find_element(By.ID, "scope-pick").send_keys(Keys.ENTER)
        box = self.wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, f"#scope-picker tr[data-application='{application}'] input")))
        box.send_keys(Keys.SPACE)
        self.assertEqual(self.browser.find_element(By.ID, "scope-applications").get_attribute("value"),
                         application)
        self.shot("incidents-scope-picker")
        self.browser.find_element(By.ID, "scope-set").click()
        self.until_text((By.ID, "notice"), "範囲を設定しました")
        self.browser.find_element(By.ID, "run-review").click()
        self.until_text((By.ID, "affected"), "/ 1")
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "#assessment li"))
        # Open the applicant's contact to tell them (recorded), then mark them notified.
        self.browser.find_element(By.CSS_SELECTOR, f"button[data-contact='{application}']").click()
        self.until_text((By.CSS_SELECTOR, f"#review tr[data-application='{application}']"), "@")
        self.browser.find_element(By.CSS_SELECTOR, f"button[data-notify='{application}']").click()
        self.until_text((By.CSS_SELECTOR, f"#review tr[data-application='{application}'] td.notified"), "はい")
        self.shot("incidents")
        # The responder's own look at the contact is on the record too.
        self.browser.find_element(By.ID, "who-saw-application").clear()
        self.browser.find_element(By.ID, "who-saw-application").send_keys(application, Keys.ENTER)
        self.until_text((By.ID, "who-saw"), "tanaka")


    def start_nginx(self, name, misconfigured):
        """nginx with proxy_cache on in front of the server, its cache key without the
        Authorization header; `misconfigured` also ignores Cache-Control and Vary, as the first
        download site's cache did."""
        directory = self.work / name
        (directory / "cache").mkdir(parents=True)
        port = free_port()
        ignore = ("      proxy_ignore_headers Cache-Control Expires Vary;\n"
                  "      proxy_hide_header Vary;\n") if misconfigured else ""
        temp = "".join(f"  {kind}_temp_path {directory / kind};\n"
                       for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
        (directory / "nginx.conf").write_text(
            f"worker_processes 1;\ndaemon off;\nmaster_process off;\npid {directory}/nginx.pid;\n"
            f"error_log {directory}/error.log warn;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  access_log off;\n{temp}"
            f"  proxy_cache_path {directory}/cache levels=1:2 keys_zone=console:10m max_size=100m inactive=60m;\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n"
            f"      proxy_pass http://127.0.0.1:{self.port};\n      proxy_http_version 1.1;\n"
            f"      proxy_set_header Connection \"\";\n      proxy_cache console;\n"
            f"      proxy_cache_key $scheme$proxy_host$request_uri;\n"
            f"      proxy_cache_valid 200 302 10m;\n{ignore}    }}\n  }}\n}}\n")
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(directory / "nginx.conf"), "-p",
                                  str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (nginx.terminate(), nginx.wait(timeout=30)))
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        return f"http://127.0.0.1:{port}", directory / "cache"

    def browse_an_application(self):
        """Staff browsing: the queue, then one application with its contact data."""
        self.login("operator")
        self.wait.until(lambda _: len(self.queue_rows()) >= 1)
        application = self.queue_rows()[0].get_attribute("data-application")
        self.browser.find_element(By.LINK_TEXT, application).click()
        self.wait.until(lambda _: self.text("organization").strip() not in ("", "***"))
        return self.text("organization").strip(), self.text("contact-email").strip()

    @staticmethod
    def cached(cache, texts):
        files = [path for path in cache.rglob("*") if path.is_file()]
        holding = [path for path in files
                   if any(text.encode() in path.read_bytes() for text in texts)]
        return files, holding

    def test_browsing_through_a_caching_nginx_leaves_nothing_in_its_cache(self):
        self.origin, cache = self.start_nginx("nginx", misconfigured=False)
        personal = self.browse_an_application()
        self.shot("through-nginx")
        files, holding = self.cached(cache, personal)
        self.assertEqual(holding, [], "personal data in a shared cache")
        self.assertEqual(files, [], "no answer, page or API, may be kept by a shared cache")

    def test_the_cache_check_catches_a_misconfigured_nginx(self):
        # The control: the same browsing through the first site's kind of cache is caught.
        self.origin, cache = self.start_nginx("nginx-broken", misconfigured=True)
        personal = self.browse_an_application()
        files, holding = self.cached(cache, personal)
        self.assertTrue(holding, f"a cache ignoring Cache-Control keeps the page's data: {files}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
