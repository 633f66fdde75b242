"""InvokeEndpoint with boto3: content types, response formats, variants and their weights,
TargetVariant, the invoked-variant header, and the model server's own container contract."""

from __future__ import annotations

import http.client
import json
import socket
import sys
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from botocore.exceptions import ClientError

from mlci.algorithms import batch_wire
from tests.conftest import RunningCloud
from tests.integration.cloud.hosting_support import (
    TrainedModel,
    abalone_model,
    churn_model,
    config_for,
    create_config,
    create_model,
    endpoint,
    invoke,
    predictions,
    upload,
    variant,
)


@pytest.fixture(scope="module")
def abalone_endpoint(cloud: RunningCloud) -> Iterator[str]:
    with endpoint(cloud, config_for(cloud, abalone_model())) as name:
        yield name


@pytest.fixture(scope="module")
def churn_endpoint(cloud: RunningCloud) -> Iterator[str]:
    with endpoint(cloud, config_for(cloud, churn_model())) as name:
        yield name


def test_csv_rows_get_the_boosters_predictions(cloud: RunningCloud, abalone_endpoint: str) -> None:
    model = abalone_model()
    rows = model.features[:50]
    reply = invoke(cloud, abalone_endpoint, model.csv(rows))
    assert reply["ContentType"] == "text/csv; charset=utf-8"
    assert reply["InvokedProductionVariant"] == "AllTraffic"
    assert np.allclose(predictions(reply), model.predict(rows), rtol=1e-6)


def test_churn_csv_and_sparse_libsvm(cloud: RunningCloud, churn_endpoint: str) -> None:
    from scipy.sparse import csr_matrix

    model = churn_model()
    rows = model.features[:40]
    served = predictions(invoke(cloud, churn_endpoint, model.csv(rows)))
    assert np.allclose(served, model.predict(rows), rtol=1e-6)
    assert ((served > 0) & (served < 1)).all()  # binary:logistic probabilities
    libsvm = "".join(
        " ".join(f"{i}:{v!r}" for i, v in enumerate(map(float, row)) if v != 0) + "\n"
        for row in rows
    ).encode()
    served = predictions(invoke(cloud, churn_endpoint, libsvm, "text/libsvm"))
    # absent LIBSVM entries are missing values, as for a sparse matrix
    sparse = csr_matrix(np.where(rows == 0, 0, rows))
    assert np.allclose(served, model.booster.inplace_predict(sparse), rtol=1e-6)


def test_json_in_and_json_or_jsonlines_out(cloud: RunningCloud, abalone_endpoint: str) -> None:
    model = abalone_model()
    rows = model.features[:3]
    body = json.dumps({"instances": rows.tolist()}).encode()
    reply = invoke(cloud, abalone_endpoint, body, "application/json", Accept="application/json")
    assert reply["ContentType"] == "application/json"
    scores = [p["score"] for p in json.loads(reply["Body"].read())["predictions"]]
    assert np.allclose(scores, model.predict(rows), rtol=1e-6)
    reply = invoke(cloud, abalone_endpoint, model.csv(rows), Accept="application/jsonlines")
    lines = reply["Body"].read().decode().splitlines()
    assert np.allclose([json.loads(line)["score"] for line in lines], model.predict(rows))


def test_custom_attributes_and_inference_id_are_accepted(
    cloud: RunningCloud, abalone_endpoint: str
) -> None:
    model = abalone_model()
    reply = invoke(
        cloud,
        abalone_endpoint,
        model.csv(model.features[:1]),
        CustomAttributes="trace=abc-123",
        InferenceId="request-7",
    )
    assert np.allclose(predictions(reply), model.predict(model.features[:1]))


def _two_variant_endpoint(cloud: RunningCloud, first: TrainedModel, second: TrainedModel) -> str:
    return create_config(
        cloud,
        variant(create_model(cloud, upload(cloud, first.tarball)), "Blue", weight=1.0),
        variant(create_model(cloud, upload(cloud, second.tarball)), "Green", weight=3.0),
    )


def test_traffic_follows_variant_weights_and_target_variant(cloud: RunningCloud) -> None:
    blue, green = abalone_model(30), abalone_model(5)
    row = blue.features[:1]
    expected = {"Blue": blue.predict(row), "Green": green.predict(row)}
    with endpoint(cloud, _two_variant_endpoint(cloud, blue, green)) as name:
        seen: Counter[str] = Counter()
        for _ in range(200):
            reply = invoke(cloud, name, blue.csv(row))
            chosen = reply["InvokedProductionVariant"]
            assert np.allclose(predictions(reply), expected[chosen])  # the header names the server
            seen[chosen] += 1
        assert 0.12 < seen["Blue"] / 200 < 0.38, seen  # weight 1 of 4
        for _ in range(10):
            reply = invoke(cloud, name, blue.csv(row), TargetVariant="Blue")
            assert reply["InvokedProductionVariant"] == "Blue"
            assert np.allclose(predictions(reply), expected["Blue"])


def test_all_weights_zero_needs_target_variant(cloud: RunningCloud) -> None:
    blue, green = abalone_model(30), abalone_model(5)
    sagemaker = cloud.client("sagemaker")
    row = blue.features[:1]
    with endpoint(cloud, _two_variant_endpoint(cloud, blue, green)) as name:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[
                {"VariantName": "Blue", "DesiredWeight": 0.0},
                {"VariantName": "Green", "DesiredWeight": 0.0},
            ],
        )
        runtime = cloud.client("sagemaker-runtime")
        with pytest.raises(
            runtime.exceptions.ValidationError, match="has weight 0; name one with TargetVariant"
        ):
            invoke(cloud, name, blue.csv(row))
        assert (
            invoke(cloud, name, blue.csv(row), TargetVariant="Green")["InvokedProductionVariant"]
            == "Green"
        )
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[{"VariantName": "Blue", "DesiredWeight": 1.0}],
        )
        for _ in range(10):
            assert invoke(cloud, name, blue.csv(row))["InvokedProductionVariant"] == "Blue"


def _contract_exchange(port: int, body: bytes) -> tuple[int, int, bytes]:
    """(GET /ping status, POST /invocations status, its body) from one model server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/ping")
        ping = connection.getresponse()
        ping.read()
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": "text/csv"})
        answer = connection.getresponse()
        return ping.status, answer.status, answer.read()
    finally:
        connection.close()


def test_each_model_server_speaks_the_container_contract(
    cloud: RunningCloud, abalone_endpoint: str
) -> None:
    model = abalone_model()
    rows = model.features[:2]
    expected = model.predict(rows)
    answered = []
    # the shared cloud may run other tests' servers too (or be stopping one): find ours
    for port_file in cloud.home.glob("hosting/deployments/*/servers/*.port"):
        try:
            port = int(port_file.read_text().split()[0])
            ping, status, body = _contract_exchange(port, model.csv(rows))
        except (OSError, ValueError):
            continue
        if ping == 200 and status == 200:
            served = np.array([float(v) for v in body.split()])
            if served.shape == expected.shape and np.allclose(served, expected, rtol=1e-6):
                answered.append(port_file)
    assert answered, "no model server answered GET /ping and POST /invocations on its own port"


def test_unknown_target_variant_is_a_validation_error(
    cloud: RunningCloud, abalone_endpoint: str
) -> None:
    model = abalone_model()
    runtime = cloud.client("sagemaker-runtime")
    with pytest.raises(
        runtime.exceptions.ValidationError,
        match=r"has no production variant named 'Purple' \(its variants: AllTraffic\)",
    ):
        invoke(cloud, abalone_endpoint, model.csv(model.features[:1]), TargetVariant="Purple")
    assert invoke(cloud, abalone_endpoint, model.csv(model.features[:1]))[
        "InvokedProductionVariant"
    ]


def test_an_endpoint_that_failed_is_not_found_by_the_runtime(cloud: RunningCloud) -> None:
    model_name = create_model(cloud, upload(cloud, b"not a tarball"))
    with endpoint(cloud, create_config(cloud, variant(model_name))) as name:
        assert (
            cloud.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"]
            == "Failed"
        )
        with pytest.raises(
            ClientError, match=f"Endpoint {name} of account {cloud.account_id} not found"
        ):
            invoke(cloud, name, b"1,2,3")


def _batch_exchange(
    address: str, items: list[bytes]
) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(address)
        sock.sendall(batch_wire.frame(items))
        buffer = bytearray()
        while True:
            frames = batch_wire.split_frames(buffer)
            if frames:
                return batch_wire.decode_responses(frames[0])
            chunk = sock.recv(65536)
            assert chunk, "the model server closed its batch socket without answering"
            buffer += chunk


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract Unix sockets")
def test_each_model_servers_batch_socket_answers_every_item_as_invocations_would(
    cloud: RunningCloud, abalone_endpoint: str
) -> None:
    model = abalone_model()
    rows = model.features[:2]
    csv = [("Content-Type", "text/csv")]
    items = [
        batch_wire.encode_request_item(csv, model.csv(rows)),
        batch_wire.encode_request_item(csv, b"1,2\n"),  # wrong feature count: its own 400
        batch_wire.encode_request_item([*csv, ("Accept", "application/json")], model.csv(rows)),
    ]
    answered = 0
    for port_file in cloud.home.glob("hosting/deployments/*/servers/*.port"):
        lines = port_file.read_text().split()
        try:
            answers = _batch_exchange("\0" + lines[1], items)
        except OSError:
            continue  # another test's server, stopped meanwhile
        (ok, ok_headers, ok_body), (bad, _, bad_body), (as_json, _, json_body) = answers
        served = np.array([float(v) for v in ok_body.split()]) if ok == 200 else np.array([])
        if served.shape != (2,) or not np.allclose(served, model.predict(rows), rtol=1e-6):
            continue  # another endpoint's model
        assert dict(ok_headers)["Content-Type"].startswith("text/csv")
        assert bad == 400 and b"Feature size" in bad_body
        scores = [p["score"] for p in json.loads(json_body)["predictions"]]
        assert as_json == 200 and np.allclose(scores, served, rtol=1e-6)
        answered += 1
    assert answered, "no model server of the endpoint answered on its batch socket"
