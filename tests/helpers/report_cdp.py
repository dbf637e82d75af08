"""A small Chrome DevTools Protocol driver for headless Debian Chromium (no npm, no Selenium).

One ``Chromium`` process per test module; ``Page`` sends CDP commands over the page's
websocket and keeps every event it receives, so tests can look at console messages,
exceptions and log entries after the fact.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-port=0", "--remote-allow-origins=*",
)


def chromium_path() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                         else None)
    if found is None:
        raise RuntimeError("chromium is not installed: run `make browser` (installs the Debian "
                           "package chromium) before the browser tests")
    return found


class Page:
    TIMEOUT = 60.0  # seconds for one CDP answer (a busy shared machine can be slow)

    def __init__(self, ws_url: str) -> None:
        self._ws = websocket.create_connection(ws_url, timeout=self.TIMEOUT, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        msg_id = self._next_id
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"CDP {method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for_event(self, method: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                self.events.remove(event)
                return event
        try:
            while time.monotonic() < deadline:
                self._ws.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    message = json.loads(self._ws.recv())
                except websocket.WebSocketTimeoutException:
                    break
                if message.get("method") == method:
                    return message
                self.events.append(message)
        finally:
            self._ws.settimeout(self.TIMEOUT)
        raise TimeoutError(f"no {method} within {timeout}s")

    def navigate(self, url: str) -> float:
        """Load ``url``; returns the seconds until the load event."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        start = time.monotonic()
        self.send("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired", timeout=60)
        return time.monotonic() - start

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_until(self, expression: str, timeout: float = 5.0) -> Any:
        """Evaluate ``expression`` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element matched by ``selector``."""
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
            % json.dumps(selector))
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_text(self, selector: str, text: str) -> None:
        self.click(selector)
        for char in text:  # key by key, as a person types
            self.send("Input.dispatchKeyEvent", type="keyDown", text=char, key=char,
                      unmodifiedText=char)
            self.send("Input.dispatchKeyEvent", type="keyUp", key=char)

    #: the keys ``press`` knows: DOM key name -> (code, Windows virtual key code, typed text)
    KEYS = {"Enter": ("Enter", 13, "\r"), "Tab": ("Tab", 9, ""), "Escape": ("Escape", 27, ""),
            " ": ("Space", 32, " ")}

    def press(self, key: str) -> None:
        """One key pressed and released on whatever has the focus, as a keyboard does it."""
        code, vk, text = self.KEYS[key]
        self.send("Input.dispatchKeyEvent", type="rawKeyDown", key=key, code=code,
                  windowsVirtualKeyCode=vk)
        if text:
            self.send("Input.dispatchKeyEvent", type="char", key=key, code=code, text=text,
                      windowsVirtualKeyCode=vk)
        self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                  windowsVirtualKeyCode=vk)

    def set_viewport(self, width: int, height: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 6000), "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def metrics(self) -> dict[str, float]:
        """Chromium's performance counters (TaskDuration, ScriptDuration, LayoutDuration, ...:
        main-thread seconds, which unlike wall time do not grow with a busy machine)."""
        self.send("Performance.enable")
        return {m["name"]: float(m["value"]) for m in self.send("Performance.getMetrics")["metrics"]}

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (CSP violations included)."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                  for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append("log: " + str(params["entry"].get("text")))
        return out

    def close(self) -> None:
        self._ws.close()


class Chromium:
    def __init__(self) -> None:
        self._profile = tempfile.mkdtemp(prefix="sg-chromium-")
        self._proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])

    def page(self) -> Page:
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
                targets = json.loads(r.read())
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return Page(pages[0]["webSocketDebuggerUrl"])
            if time.monotonic() > deadline:
                raise RuntimeError("chromium has no page target")
            time.sleep(0.1)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)
