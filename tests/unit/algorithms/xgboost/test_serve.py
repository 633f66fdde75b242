"""The model server as a real process on a free port, spoken to with http.client."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlci.algorithms import batch_wire
from mlci.algorithms.xgboost.inference import Predictor

SERVE = [sys.executable, "-m", "mlci.algorithms.xgboost.serve"]
CSV_BODY = b"0.1,0.2,0.3,0.4\n0.9,0.8,0.7,0.6\n"
MAX_PAYLOAD = 100_000


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    batch_address: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("content-type", "")
        finally:
            connection.close()


def start(model: Path, port_file: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*SERVE, "--model-dir", str(model), "--port", "0", "--port-file", str(port_file), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_port(process: subprocess.Popen[bytes], port_file: Path) -> int:
    return wait_for_addresses(process, port_file)[0]


def wait_for_addresses(process: subprocess.Popen[bytes], port_file: Path) -> tuple[int, str | None]:
    """The HTTP port and the batch socket's address, from the port file once it exists."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if port_file.exists():
            lines = port_file.read_text().split()
            return int(lines[0]), ("\0" + lines[1] if len(lines) > 1 else None)
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stderr.read() if process.stderr else ''!r}"
            )
        time.sleep(0.02)
    raise AssertionError("the server wrote no port file within 60 s")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    for stream in (process.stdout, process.stderr):
        if stream:
            stream.close()
    return code


@pytest.fixture(scope="module")
def server(regression_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port_file = tmp_path_factory.mktemp("serve") / "port"
    process = start(regression_model, port_file, "--max-payload-bytes", str(MAX_PAYLOAD))
    try:
        yield Server(process, *wait_for_addresses(process, port_file))
    finally:
        # uvicorn finishes in-flight requests, then re-raises SIGTERM: the usual exit status.
        assert stop(process) == -signal.SIGTERM


def test_ping_answers_200_once_the_port_is_open(server: Server) -> None:
    assert server.request("GET", "/ping")[0] == 200


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract Unix sockets")
def test_the_batch_socket_answers_each_item_as_invocations_answers_it(server: Server) -> None:
    assert server.batch_address is not None
    csv = [("Content-Type", "text/csv")]
    items = [(csv, CSV_BODY), (csv, b"1,2\n"), ([*csv, ("Accept", "application/json")], CSV_BODY)]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(server.batch_address)
        sock.sendall(batch_wire.frame([batch_wire.encode_request_item(h, b) for h, b in items]))
        buffer = bytearray()
        while not (frames := batch_wire.split_frames(buffer)):
            chunk = sock.recv(65536)
            assert chunk, "the server hung up without answering"
            buffer += chunk
    answers = batch_wire.decode_responses(frames[0])
    for (headers, body), (status, answer_headers, answer) in zip(items, answers, strict=True):
        http_status, http_body, http_type = server.request(
            "POST", "/invocations", body, dict(headers)
        )
        assert (status, answer, dict(answer_headers)["Content-Type"]) == (
            http_status,
            http_body,
            http_type,
        )
    assert [status for status, _, _ in answers] == [200, 400, 200]


def test_invocations_answer_what_the_predictor_answers(
    server: Server, regression_model: Path
) -> None:
    local = Predictor.load(regression_model)

    for accept in ("text/csv", "application/json", "application/jsonlines"):
        status, body, content_type = server.request(
            "POST", "/invocations", CSV_BODY, {"Content-Type": "text/csv", "Accept": accept}
        )
        assert status == 200
        assert (body, content_type) == local.invoke(CSV_BODY, "text/csv", accept)


def test_no_accept_header_answers_csv(server: Server) -> None:
    status, body, content_type = server.request(
        "POST", "/invocations", CSV_BODY, {"Content-Type": "text/csv"}
    )

    assert status == 200 and content_type == "text/csv; charset=utf-8"
    assert len(body.decode().splitlines()) == 2


def test_one_connection_serves_many_requests(server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for _ in range(3):
            connection.request("POST", "/invocations", CSV_BODY, {"Content-Type": "text/csv"})
            response = connection.getresponse()
            assert response.status == 200 and response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (
            b"1,2",
            {"Content-Type": "text/csv"},
            400,
            b"Unable to evaluate payload provided: Feature size of csv inference data 2 is not "
            b"consistent with feature size of trained model 4",
        ),
        (
            b"1,2,x,4",
            {"Content-Type": "text/csv"},
            415,
            b"Loading csv data failed with Exception, please ensure data is in csv format: row 1: ",
        ),
        (b"", {"Content-Type": "text/csv"}, 400, b"The request body is empty"),
        (CSV_BODY, {"Content-Type": "image/png"}, 415, b"image/png is not an accepted ContentType"),
        (CSV_BODY, {}, 415, b" is not an accepted ContentType"),
        (
            CSV_BODY,
            {"Content-Type": "text/csv", "Accept": "text/html"},
            406,
            b"Accept type text/html is not supported.",
        ),
        (
            b"1," * MAX_PAYLOAD,
            {"Content-Type": "text/csv"},
            413,
            b"Request body exceeds the maximum payload of 100000 bytes",
        ),
    ],
)
def test_model_errors_become_the_container_status_and_message(
    server: Server, body: bytes, headers: dict[str, str], status: int, message: bytes
) -> None:
    got_status, got_body, content_type = server.request("POST", "/invocations", body, headers)

    assert got_status == status
    assert got_body.startswith(message) or message in got_body
    assert content_type == "text/plain; charset=utf-8"


def test_unknown_paths_and_methods(server: Server) -> None:
    assert server.request("GET", "/nowhere")[:2] == (404, b"Not Found")
    assert server.request("GET", "/invocations")[:2] == (405, b"Method Not Allowed")
    assert server.request("POST", "/ping")[0] == 405


def test_execution_parameters(server: Server) -> None:
    status, body, content_type = server.request("GET", "/execution-parameters")

    assert status == 200 and content_type == "application/json"
    assert json.loads(body) == {
        "MaxConcurrentTransforms": 1,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 0,
    }


def test_an_unloadable_model_exits_1_before_listening(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    process = start(tmp_path / "model", tmp_path / "port")

    assert process.wait(timeout=60) == 1
    assert process.stderr is not None
    assert b"Unable to load model: no xgboost-model file" in process.stderr.read()
    assert not (tmp_path / "port").exists()
    stop(process)


def test_a_taken_port_exits_1(regression_model: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [*SERVE, "--model-dir", str(regression_model), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.wait(timeout=60) == 1
    assert process.stderr is not None
    assert f"cannot listen on 127.0.0.1:{port}".encode() in process.stderr.read()
    stop(process)


def test_the_bound_port_is_printed(server: Server) -> None:
    assert server.process.stdout is not None
    line = server.process.stdout.readline().decode()
    assert line.startswith("serving ") and line.strip().endswith(f"http://127.0.0.1:{server.port}")


def test_a_client_leaving_mid_body_does_not_hurt_the_server(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: 1000\r\n\r\n0.1,0.2"
        )
    time.sleep(0.2)

    assert server.request("GET", "/ping")[0] == 200
    assert server.process.poll() is None
