"""`--endpoint-url` is for the services the scan reads; an s3:// parts location, like an
s3:// history, is reached as boto3 would (fault-injection trial round 11: `collect
--endpoint-url http://127.0.0.1:PORT --parts s3://bucket/p` sent its parts to
s3.amazonaws.com while its help named only --history)."""

from __future__ import annotations

import pytest

from scanner.cli import main


@pytest.mark.parametrize("command", ["collect", "scan"])
def test_the_endpoint_help_says_how_an_s3_parts_location_is_reached(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    endpoint = text[text.index("--endpoint-url URL AWS"):]
    endpoint = endpoint[:endpoint.index("--max-workers")]
    assert "--parts or --from-parts is reached as boto3 would" in endpoint
    assert "(AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)" in endpoint
