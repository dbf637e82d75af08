"""A machine whose clock is off: AWS refuses every request it signs ("Signature expired"),
and the scan must say the clock, not the credentials (fault-injection trial round 12)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from scanner.cli import main

_STS_SKEWED = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
               b"<Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Signature "
               b"expired: 20261206T100000Z is now earlier than 20261206T110500Z "
               b"(20261206T112000Z - 15 min.)</Message></Error><RequestId>1</RequestId>"
               b"</ErrorResponse>")


@pytest.fixture()
def skewed_endpoint() -> Iterator[str]:
    """Answers every request as AWS answers one signed 80 minutes in the past."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(_STS_SKEWED)))
            self.end_headers()
            self.wfile.write(_STS_SKEWED)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_scan_with_the_clock_off_says_the_clock_not_the_credentials(
        skewed_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    code = main(["scan", "--regions", "us-east-1", "--endpoint-url", skewed_endpoint,
                 "--out", str(tmp_path / "out"), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    [line] = [x for x in err.splitlines() if x.strip()]
    assert line.startswith("secretgraph scan: error: this machine's clock is off from AWS's "
                           "by more than AWS allows (sts:GetCallerIdentity "
                           "SignatureDoesNotMatch: Signature expired: "), line
    assert "set it right (NTP)" in line and "credentials were rejected" not in line
    assert not (tmp_path / "out").exists()
