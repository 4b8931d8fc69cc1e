#!/usr/bin/env python3
"""The station web page in a real headless Chromium (Debian's chromium and chromium-driver,
driven by selenium from PyPI), against a running `tracemark serve`.

StationPageTests (Swift) starts the service, a simulated ZPL printer that starts out of paper,
and the data; this script is the operator. It talks to the page through a TCP proxy of its own,
so that it can pull the plug on the browser's connection and put it back. It exits 0 when every
check held, and prints the scan-to-verdict figures as one JSON line starting with "figures: ".

Environment: TRACEMARK_URL (the service), TRACEMARK_ADMIN_TOKEN (to read the scan log),
TRACEMARK_ARTEFACTS (screenshots), TRACEMARK_RELEASE_PRINTER (a file to create when the
printer may print), TRACEMARK_SCANNER_PORT (the picking station's network scanner), TRACEMARK_GTIN, TRACEMARK_LOT_A/B/OLD with their expiry as YYMMDD in
TRACEMARK_EXPIRY_A/B.
"""
import json
import os
import shutil
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SERVER = os.environ["TRACEMARK_URL"]
ADMIN = os.environ["TRACEMARK_ADMIN_TOKEN"]
ARTEFACTS = os.environ["TRACEMARK_ARTEFACTS"]
RELEASE = os.environ["TRACEMARK_RELEASE_PRINTER"]
GTIN = os.environ["TRACEMARK_GTIN"]
LOT_A, LOT_B, LOT_OLD = os.environ["TRACEMARK_LOT_A"], os.environ["TRACEMARK_LOT_B"], os.environ["TRACEMARK_LOT_OLD"]
EXPIRY_A, EXPIRY_B = os.environ["TRACEMARK_EXPIRY_A"], os.environ["TRACEMARK_EXPIRY_B"]
# The picking station's own network scanner (tcp-listen), beside the screen.
SCANNER_PORT = int(os.environ["TRACEMARK_SCANNER_PORT"])
# Long enough for any machine, however busy: these bound a hang, they time nothing.
PATIENCE = 90

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAILED: " + message, flush=True)
    return condition


class Proxy:
    """A TCP proxy on loopback between the browser and the server: cut() closes every
    connection and refuses new ones (the cable pulled), restore() lets them through again."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.sockets = set()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, server))
            threading.Thread(target=self.pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client), daemon=True).start()

    def pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.up = False
        with self.lock:
            for end in self.sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                    end.close()
                except OSError:
                    pass
            self.sockets.clear()

    def restore(self):
        self.up = True


def api(path):
    request = urllib.request.Request(SERVER + path, headers={"Authorization": "Bearer " + ADMIN})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def scan_log(station, limit=200):
    return api(f"/api/v1/scans?station={station}&limit={limit}")["items"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
                     "--autoplay-policy=no-user-gesture-required", "--no-first-run", "--disable-background-networking"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


driver = browser()
proxy = Proxy(("127.0.0.1", urllib.parse.urlsplit(SERVER).port))
PAGE = f"http://127.0.0.1:{proxy.port}/"


def wait(condition, what):
    try:
        return WebDriverWait(driver, PATIENCE, poll_frequency=0.05).until(lambda _: condition())
    except TimeoutException:
        check(False, "waited in vain for " + what)
        return None


def by_id(name):
    return driver.find_element(By.ID, name)


def text(name):
    """An element's text, read in one step (the page re-renders lists while it is read)."""
    return driver.execute_script("const e = document.getElementById(arguments[0]); return e ? e.innerText : ''", name)


def attr(name, attribute):
    return driver.execute_script("const e = document.getElementById(arguments[0]); return e && e.getAttribute(arguments[1])",
                                 name, attribute)


def shown(name):
    return driver.execute_script("const e = document.getElementById(arguments[0]); return !!e && !e.closest('[hidden]')", name)


def viewport(width, height):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def wedge(element, parts):
    """Types as a keyboard-wedge scanner: the characters, GS as Ctrl+], then Enter."""
    element.click()
    for index, part in enumerate(parts):
        if index:
            ActionChains(driver).key_down(Keys.CONTROL).send_keys("]").key_up(Keys.CONTROL).perform()
        element.send_keys(part)
    element.send_keys(Keys.ENTER)


def verdict_after(previous_scan, parts):
    """Scans, and waits for the card of this scan: its verdict and its text."""
    wedge(by_id("scan-input"), parts)
    previous_scan = None if previous_scan is None else str(previous_scan)
    wait(lambda: attr("verdict", "data-scan") not in (None, "", previous_scan), "the verdict card")
    card = text("verdict")
    check(not any(word in card.split() for word in ("null", "undefined", "NaN")), "the card shows no programmer's words: " + card)
    return attr("verdict", "data-verdict"), card, attr("verdict", "data-scan")


def sign_in(station, badge=None, pin=None):
    driver.get(PAGE + "#signin")
    wait(lambda: shown("signin-form"), "the sign-in form")
    field = by_id("signin-station")
    field.clear()
    field.send_keys(station)
    if badge:
        by_id("signin-badge").send_keys(badge + Keys.ENTER)
    else:
        by_id("signin-pin").send_keys(pin + Keys.ENTER)
    wait(lambda: shown("page-station"), f"the station screen of {station}")
    wait(lambda: attr("link", "class") == "live", "the live link")


def sign_out():
    by_id("sign-out").click()
    wait(lambda: shown("signin-form"), "the sign-in form after signing out")


LAYOUT_CHECK = r"""
const problems = [];
const visible = (e) => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !e.closest('[hidden]'); };
const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.textContent.trim() ? ' "' + e.textContent.trim().slice(0, 30) + '"' : ''}`;
const doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth) problems.push(`the page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
const controls = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')].filter(visible);
const targets = controls.map((c) => (c.type === 'checkbox' || c.type === 'radio') && c.closest('label') ? c.closest('label') : c);
targets.forEach((t, i) => {
  const r = t.getBoundingClientRect();
  if (r.right > window.innerWidth + 0.5 || r.left < -0.5) problems.push(`${name(controls[i])} lies outside the window (${r.left}..${r.right})`);
  if (r.width < 43.5 || r.height < 43.5) problems.push(`${name(controls[i])} is ${r.width.toFixed(0)}×${r.height.toFixed(0)} px: a touch target needs 44`);
});
for (let i = 0; i < targets.length; i++) for (let j = i + 1; j < targets.length; j++) {
  if (targets[i] === targets[j] || targets[i].contains(targets[j]) || targets[j].contains(targets[i])) continue;
  const a = targets[i].getBoundingClientRect(), b = targets[j].getBoundingClientRect();
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  if (w > 0.5 && h > 0.5) problems.push(`${name(controls[i])} overlaps ${name(controls[j])}`);
}
return problems;
"""

ACCESSIBILITY_CHECK = r"""
const problems = [];
const visible = (e) => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !e.closest('[hidden]'); };
const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`;
for (const field of document.querySelectorAll('input, select, textarea')) {
  if (!visible(field)) continue;
  const labelled = (field.labels && [...field.labels].some((l) => l.textContent.trim())) || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby');
  if (!labelled) problems.push(`${name(field)} has no label`);
}
for (const button of document.querySelectorAll('button, a[href]')) {
  if (visible(button) && !button.textContent.trim() && !button.getAttribute('aria-label')) problems.push(`${name(button)} has no name`);
}
for (const image of document.querySelectorAll('img')) if (visible(image) && !image.hasAttribute('alt')) problems.push(`${name(image)} has no alt text`);
const rgba = (text) => { const m = /rgba?\(([^)]+)\)/.exec(text); if (!m) return null;
  const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
const blend = (top, below) => ({ r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1 });
const background = (e) => { const layers = [];
  for (let n = e; n; n = n.parentElement) { const c = rgba(getComputedStyle(n).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
  let colour = { r: 255, g: 255, b: 255, a: 1 }; for (const layer of layers.reverse()) colour = blend(layer, colour); return colour; };
let checked = 0;
for (const e of document.querySelectorAll('body *')) {
  if (!visible(e)) continue;
  const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || (['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName) && e.value);
  if (!own) continue;
  const style = getComputedStyle(e);
  const fg = rgba(style.color); if (!fg) continue;
  const bg = background(e);
  const colour = blend(fg, bg);
  const [light, dark] = [luminance(colour), luminance(bg)].sort((x, y) => y - x);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  checked++;
  if (ratio < needed) problems.push(`${name(e)} "${(e.textContent || e.value).trim().slice(0, 30)}": contrast ${ratio.toFixed(2)}, needs ${needed}`);
}
if (!checked) problems.push('no text was checked');
return problems;
"""

PAGES = ["station", "run", "lookup", "labels", "printers", "reports", "recalls"]


def sweep(label):
    """Every page at a phone's and a desk screen's size: a screenshot of each, and the layout,
    label and contrast checks."""
    for width, height in [(360, 740), (1280, 800)]:
        viewport(width, height)
        for page in (PAGES if label != "signin" else ["signin"]):
            driver.execute_script("location.hash = arguments[0]", "#" + page)
            wait(lambda: driver.execute_script("return document.body.dataset.page") == page, "page " + page)
            time.sleep(0.3)  # lets the page's own loads land, so the screenshot shows them; nothing is timed
            driver.save_screenshot(os.path.join(ARTEFACTS, f"{page}-{width}x{height}.png"))
            for problem in driver.execute_script(LAYOUT_CHECK):
                check(False, f"{page} at {width}×{height}: {problem}")
            for problem in driver.execute_script(ACCESSIBILITY_CHECK):
                check(False, f"{page} at {width}×{height}: {problem}")
    viewport(1280, 800)


try:
    # The sign-in page, before anyone signs in, at both sizes.
    driver.get(PAGE)
    wait(lambda: shown("signin-form"), "the sign-in form")
    sweep("signin")

    # 1. An operator signs in at the dock with a badge, and receives two lots by wedge scans.
    sign_in("dock-1", badge="B-100")
    check("Anna" in text("who"), "the header names the operator: " + text("who"))
    # What the job's line showed, change by change.
    driver.execute_script("""
        window.seen = [];
        const record = () => { for (const li of document.querySelectorAll('#station-jobs li[data-state]')) {
          const last = window.seen.filter((s) => s[0] === li.id).pop();
          if (!last || last[1] !== li.dataset.state) window.seen.push([li.id, li.dataset.state]); } };
        record();
        new MutationObserver(record).observe(document.getElementById('station-jobs'), {childList: true, subtree: true, attributes: true});""")
    verdict, card, scan_a = verdict_after(None, [f"]C101{GTIN}17{EXPIRY_A}10{LOT_A}", "3010"])
    check(verdict == "ok", f"a good lot at receiving is green, not {verdict}: {card}")
    check(LOT_A in card and "Added to the receipt" in card, "the green card shows the lot: " + card)
    logged = scan_log("dock-1", 1)[0]
    check(logged["raw"] == f"01{GTIN}17{EXPIRY_A}10{LOT_A}\x1d3010", "Ctrl+] arrived as GS: " + repr(logged["raw"]))
    check(logged.get("symbologyId") == "]C1", "the AIM prefix is kept: " + repr(logged.get("symbologyId")))

    # 2. Its label waits while the printer is out of paper, and prints when it is back.
    first_job = "const li = document.querySelector('#station-jobs li[data-state]'); return li && [li.id, li.dataset.state, li.textContent]"
    job = wait(lambda: driver.execute_script(first_job), "the label's job on screen") or ["", "", ""]
    job_id = job[0]
    # A Zebra out of paper does not answer its status query: the page says so.
    wait(lambda: attr("station-printer", "data-state") == "no-answer", "the printer's state on the station screen")
    check(job[1] in ("queued", "sending"), "the label waits while the printer has no paper: " + job[2])
    open(RELEASE, "w").close()
    wait(lambda: attr(job_id, "data-state") == "done", "the label printed")
    check("printed" in text(job_id), "the job says printed: " + text(job_id))
    states = [state for name, state in driver.execute_script("return window.seen") if name == job_id]
    # Waiting may show as queued or as sending (the worker tries, gets no answer, queues it
    # again) depending on when the page first saw the job; then printed, and nothing else.
    check(len(states) >= 2 and states[-1:] == ["done"] and set(states[:-1]) <= {"queued", "sending"},
          "the job waited, then printed on screen: " + repr(states))

    verdict, card, scan_b = verdict_after(scan_a, [f"01{GTIN}17{EXPIRY_B}10{LOT_B}", "3010"])
    check(verdict == "ok", "the second lot is green: " + card)

    # A wrong scan is taken off the receipt with its line's Remove button, not by cancelling it.
    verdict, card, _ = verdict_after(scan_b, [f"01{GTIN}17{EXPIRY_B}10WRONG-1", "3010"])
    check(verdict == "ok", "the wrong lot was added: " + card)
    rows = "return Array.from(document.querySelectorAll('#task-lines tbody tr'), (r) => r.textContent)"
    wait(lambda: any("WRONG-1" in row for row in driver.execute_script(rows)), "the wrong line on screen")
    # Each line's label shows its job's state as the spool has it, asked for when not followed yet.
    wait(lambda: all("…" not in row for row in driver.execute_script(rows)), "the lines' label states: " + repr(driver.execute_script(rows)))
    driver.execute_script("""Array.from(document.querySelectorAll('#task-lines tbody tr')).find((r) => r.textContent.includes('WRONG-1'))
                             .querySelector('button.remove-line').click()""")
    wait(lambda: "Line removed" in text("verdict"), "the line removed: " + text("verdict"))
    wait(lambda: [("WRONG-1" in row) for row in driver.execute_script(rows)] == [False, False],
         "the receipt's two good lines left: " + repr(driver.execute_script(rows)))
    by_id("task-complete").click()
    wait(lambda: "Receipt posted" in text("verdict"), "the receipt posted")
    sign_out()

    # 3. A supervisor signs in at the picking station with a PIN, and picks for a customer.
    sign_in("pick-1", pin="4711")
    by_id("pick-customer").send_keys("BUILDCO")
    by_id("pick-open").click()
    wait(lambda: "Pick opened" in text("verdict"), "the pick opened")
    previous = attr("verdict", "data-scan")
    # The lot that expires later, all 10 of it: amber, and it needs a reason. The next to take is
    # still lot A, though a proposal of 11 ends with lot B (the page showed B; found by a QA run).
    verdict, card, warned = verdict_after(previous, [f"01{GTIN}10{LOT_B}", "3010"])
    check(verdict == "warn", f"a lot that is not the first to go is amber, not {verdict}: {card}")
    check(LOT_A in card, "the amber card names the lot to take instead: " + card)
    wait(lambda: shown("confirm-form"), "the confirmation form")
    # The scan field keeps the focus, so that the next label a wedge scanner types is a scan.
    check(driver.execute_script("return document.activeElement.id") == "scan-input",
          "the focus after an amber verdict: " + str(driver.execute_script("return document.activeElement.id")))
    by_id("confirm-submit").click()
    wait(lambda: text("confirm-error") != "", "the refusal of an empty reason")
    by_id("confirm-reason").send_keys("customer asked for this lot by number" + Keys.ENTER)
    wait(lambda: "Confirmed" in text("verdict"), "the confirmation")
    wait(lambda: f"Next of GLUE-1 to take: {LOT_A}" in text("task-proposal"), "the pick's proposal: " + text("task-proposal"))
    confirmations = [s for s in scan_log("pick-1") if s["raw"] == f"TM:CONFIRM:{warned}"]
    check(len(confirmations) == 1 and "customer asked for this lot by number" in json.dumps(confirmations[0]["reasons"]),
          "the reason is in the scan log: " + json.dumps(confirmations))
    # The expired lot: red, and it says what to do.
    verdict, card, _ = verdict_after(confirmations[0]["id"] if confirmations else None, [f"01{GTIN}10{LOT_OLD}"])
    check(verdict == "block", f"an expired lot is red, not {verdict}: {card}")
    check("What to do" in card and "expired" in card.lower(), "the red card says why and what to do: " + card)
    # The station's own scanner reads a label the registry does not know: its red card is on this
    # screen too, for the operator looks here whichever scanner read it.
    shown_before = attr("verdict", "data-scan")
    with socket.create_connection(("127.0.0.1", SCANNER_PORT), timeout=PATIENCE) as scanner:
        scanner.sendall(f"01{GTIN}10NO-SUCH-LOT\r\n".encode())
        wait(lambda: attr("verdict", "data-scan") not in (None, "", shown_before), "the card of the station scanner's scan")
    card = text("verdict")
    check(attr("verdict", "data-verdict") == "block" and "NO-SUCH-LOT" in card and "Read by tcp" in card,
          "the station scanner's scan is drawn with its verdict and where it came from: " + card)
    check(driver.execute_script("return document.activeElement.id") == "scan-input", "the scan field keeps the focus")

    # 4. The link drops: scans typed meanwhile wait in a visible queue, and go once when it is back.
    proxy.cut()
    wait(lambda: attr("link", "class") == "down", "the page to say the link is down")
    queued = [f"01{GTIN}10{LOT_A}\x1d30{n}" for n in (1, 2, 3)]
    for n in (1, 2, 3):
        # This station's scanners send ~ for GS (its gs-substitute).
        wedge(by_id("scan-input"), [f"01{GTIN}10{LOT_A}~30{n}"])
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#queue li")) == 3, "three scans in the queue")
    check(shown("queue-panel") and "3 scans waiting" in text("link"), "the queue is on screen: " + text("link"))
    proxy.restore()
    wait(lambda: attr("link", "class") == "live" and not driver.find_elements(By.CSS_SELECTOR, "#queue li"),
         "the queue sent after reconnecting")
    log = scan_log("pick-1")
    for raw in queued:
        check(sum(1 for s in log if s["raw"] == raw) == 1, f"{raw!r} is in the scan log once: {[s['raw'] for s in log]}")
    order = [s["raw"] for s in reversed(log) if s["raw"] in queued]
    check(order == queued, "the queued scans went in the order typed: " + repr(order))

    # 5. Look-up: what the registry says of lot A, its history as a timeline.
    driver.execute_script("location.hash = '#lookup'")
    wait(lambda: shown("lookup-code"), "the look-up page")
    by_id("lookup-code").send_keys(f"(01){GTIN}(10){LOT_A}" + Keys.ENTER)
    wait(lambda: "receipt" in text("lookup-history"), "the lot's history: " + text("lookup-history"))
    check(LOT_A in text("lookup-card") and "Tile glue" in text("lookup-card"), "the look-up card: " + text("lookup-card"))

    # Labels: a preview from the registry's data.
    driver.execute_script("location.hash = '#labels'")
    by_id("label-product").send_keys("GLUE-1")
    by_id("label-number").send_keys(LOT_A)
    by_id("label-preview").click()
    wait(lambda: driver.execute_script("const i = document.getElementById('label-image'); return !i.hidden && i.complete && i.naturalWidth > 0"),
         "the label preview")
    # Printers and jobs: the printer's state and the jobs printed, with their history.
    driver.execute_script("location.hash = '#printers'")
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#printers tr[data-printer='dock-label']"), "the printer list")
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#jobs tr[data-job]"), "the job list")
    driver.find_element(By.CSS_SELECTOR, "#jobs tr[data-job] button:last-child").click()
    wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#job-history li")) >= 2, "a job's history")

    # The expiry report: the expired lot counted as expired, the lots received counted by weeks left.
    driver.execute_script("location.hash = '#reports'")
    wait(lambda: "Expired" in text("expiry-chart") and LOT_OLD in text("expiry-stock"), "the expiry report: " + text("expiry-chart"))
    check(text("expiry-chart").split("\n")[:2] == ["Expired", "5 pcs"], "the chart counts the expired lot: " + repr(text("expiry-chart")))

    # A supervisor recalls a lot: its stock blocked on screen.
    driver.execute_script("location.hash = '#recalls'")
    wait(lambda: shown("recall-form"), "the recalls page")
    by_id("recall-product").send_keys("GLUE-1")
    by_id("recall-numbers").send_keys(LOT_B)
    by_id("recall-reason").send_keys("glue does not set" + Keys.ENTER)
    wait(lambda: LOT_B in text("recall-lots"), "the recall's lots: " + text("recall-lots"))
    by_id("recall-hold").click()
    wait(lambda: attr("recall-panel", "data-state") == "held" and "blocked" in text("recall-lots"), "the recall held")
    # The pick was never posted: no customer holds any of it.
    check("No customer holds any" in text("recall-holdings"), "what customers still hold: " + text("recall-holdings"))

    # 6. Every page, at both sizes.
    driver.execute_script("location.hash = '#station'")
    sweep("signed-in")
    sign_out()

    # 7. Enter to verdict, measured in the browser at a look-up station (figures, not an assertion).
    sign_in("lookup-1", pin="4711")
    driver.execute_script("performance.clearMeasures('scan-to-verdict'); performance.clearMeasures('scan-to-answer')")
    previous = None
    for n in range(40):
        _, _, previous = verdict_after(previous, [f"01{GTIN}10{LOT_A}"])
    durations = driver.execute_script("return performance.getEntriesByName('scan-to-verdict').map((m) => m.duration)")
    durations = sorted(durations)
    answers = sorted(driver.execute_script("return performance.getEntriesByName('scan-to-answer').map((m) => m.duration)"))
    if check(len(durations) == 40, f"each look-up was measured ({len(durations)})"):
        p99 = durations[min(len(durations) - 1, int(round(0.99 * (len(durations) - 1))))]
        print("figures: " + json.dumps({"samples": len(durations), "median_ms": round(statistics.median(durations), 1),
                                         "p99_ms": round(p99, 1), "max_ms": round(durations[-1], 1),
                                         "answer_median_ms": round(statistics.median(answers), 1) if answers else None,
                                         "answer_p99_ms": round(answers[-1], 1) if answers else None}), flush=True)
    driver.save_screenshot(os.path.join(ARTEFACTS, "lookup-station-1280x800.png"))
except Exception as error:  # a failure of the script itself is a failure of the test
    check(False, f"{type(error).__name__}: {error}")
    try:
        driver.save_screenshot(os.path.join(ARTEFACTS, "failure.png"))
    except Exception:
        pass
finally:
    logs = []
    try:
        logs = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    except Exception:
        pass
    driver.quit()

for line in logs:
    print("browser console: " + line)
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
