"""The cloud's identity: one account, one access key pair, made on first start.

Stored as JSON with mode 0600 and written atomically, so a crash never leaves a half-written
or world-readable secret behind.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import asdict, dataclass
from pathlib import Path

from mlci.files import write_atomically

FILE_NAME = "credentials.json"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    account_id: str
    region: str = DEFAULT_REGION

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(access_key_id={self.access_key_id!r}, account_id={self.account_id!r})"


def generate(region: str = DEFAULT_REGION) -> Credentials:
    upper = string.ascii_uppercase + string.digits
    secret_chars = string.ascii_letters + string.digits + "+/"
    return Credentials(
        access_key_id="AKIA" + "".join(secrets.choice(upper) for _ in range(16)),
        secret_access_key="".join(secrets.choice(secret_chars) for _ in range(40)),
        account_id="".join(secrets.choice(string.digits) for _ in range(12)),
        region=region,
    )


def load_or_create(home: Path) -> Credentials:
    path = home / FILE_NAME
    if path.exists():
        return load(path)
    creds = generate()
    write(path, creds)
    return creds


def load(path: Path) -> Credentials:
    try:
        data = json.loads(path.read_text())
        return Credentials(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise RuntimeError(f"cannot read cloud credentials from {path}: {exc}") from exc


def write(path: Path, creds: Credentials) -> None:
    write_atomically(path, json.dumps(asdict(creds)), mode=0o600)
