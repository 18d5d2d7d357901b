"""Webhook signatures: ours, Zendesk's and Jira's; secrets from the environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.sources import signing
from bot.sources.signing import SecretsError, SignatureError, parse_secrets

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRETS = {"crm": SecretStr("s3cret"), "other": SecretStr("0ther")}


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_parse_secrets_pairs_and_json() -> None:
    pairs = parse_secrets(" zendesk=abc , jira=d=e ")
    assert {k: v.get_secret_value() for k, v in pairs.items()} == {"zendesk": "abc", "jira": "d=e"}
    as_json = parse_secrets('{"zendesk": "abc"}')
    assert as_json["zendesk"].get_secret_value() == "abc"
    assert parse_secrets(None) == {} and parse_secrets("  ") == {}
    assert "abc" not in repr(pairs)  # SecretStr: never in a repr or a log line


@pytest.mark.parametrize("text", ["zendesk", "=abc", "a b=c", '{"a": 1}', "{nope"])
def test_parse_secrets_refuses_bad_text_with_a_hint(text: str) -> None:
    with pytest.raises(SecretsError):
        parse_secrets(text)


def test_slabot_signature_verifies_and_names_the_source() -> None:
    body = b'{"id": "e1"}'
    headers = _lower(signing.sign_slabot("0ther", body, int(NOW.timestamp())))
    assert signing.verify_slabot(SECRETS, headers, body, NOW).source == "other"
    headers["x-slabot-source"] = "other"
    assert signing.verify_slabot(SECRETS, headers, body, NOW).source == "other"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h, b: (h, b + b" "), "mismatch"),
        (lambda h, b: ({**h, "x-slabot-source": "crm"}, b), "mismatch"),
        (lambda h, b: ({**h, "x-slabot-source": "nobody"}, b), "unknown"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "x-slabot-signature"}, b), "missing"),
        (lambda h, b: ({**h, "x-slabot-signature": "md5=abcd"}, b), "sha256="),
        (lambda h, b: ({**h, "x-slabot-timestamp": "yesterday"}, b), "Timestamp"),
    ],
)
def test_slabot_signature_refusals(change, reason: str) -> None:
    body = b'{"id": "e1"}'
    headers = _lower(signing.sign_slabot("0ther", body, int(NOW.timestamp())))
    headers, body = change(headers, body)
    with pytest.raises(SignatureError, match=reason):
        signing.verify_slabot(SECRETS, headers, body, NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=6)])
def test_a_timestamp_outside_five_minutes_is_a_replay(skew: timedelta) -> None:
    body = b"{}"
    headers = _lower(signing.sign_slabot("s3cret", body, int((NOW + skew).timestamp())))
    with pytest.raises(SignatureError, match="replay"):
        signing.verify_slabot(SECRETS, headers, body, NOW)
    inside = _lower(signing.sign_slabot("s3cret", body, int((NOW + timedelta(minutes=4)).timestamp())))
    assert signing.verify_slabot(SECRETS, inside, body, NOW).source == "crm"


def test_no_configured_secret_refuses_everything() -> None:
    headers = _lower(signing.sign_slabot("x", b"{}", int(NOW.timestamp())))
    with pytest.raises(SignatureError, match="SLABOT_WEBHOOK_SECRETS"):
        signing.verify_slabot({}, headers, b"{}", NOW)


@given(body=st.binary(min_size=1, max_size=300), secret=st.text(min_size=1, max_size=30), at=st.integers(0))
def test_any_change_to_a_signed_body_is_refused(body: bytes, secret: str, at: int) -> None:
    secrets = {"s": SecretStr(secret)}
    headers = _lower(signing.sign_slabot(secret, body, int(NOW.timestamp())))
    assert signing.verify_slabot(secrets, headers, body, NOW).source == "s"
    tampered = bytearray(body)
    tampered[at % len(tampered)] ^= 0x01
    with pytest.raises(SignatureError):
        signing.verify_slabot(secrets, headers, bytes(tampered), NOW)


def test_zendesk_signature_as_documented() -> None:
    # Zendesk's documented example: base64(HMACSHA256(TIMESTAMP + BODY)) with the webhook's secret
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    body = b'{"ticket_id": "35"}'
    stamp = "2026-03-02T09:01:00Z"
    headers = _lower(signing.sign_zendesk(secret, body, stamp))
    assert signing.verify_zendesk(SecretStr(secret), headers, body, NOW, source="zendesk").source == "zendesk"
    with pytest.raises(SignatureError, match="mismatch"):
        signing.verify_zendesk(SecretStr("other"), headers, body, NOW, source="zendesk")
    with pytest.raises(SignatureError, match="replay"):
        signing.verify_zendesk(
            SecretStr(secret), headers, body, NOW + timedelta(minutes=10), source="zendesk"
        )
    with pytest.raises(SignatureError, match="configured"):
        signing.verify_zendesk(None, headers, body, NOW, source="zendesk")


def test_jira_hub_signature() -> None:
    body = b'{"webhookEvent": "jira:issue_created"}'
    headers = _lower(signing.sign_jira("It's a Secret to Everybody", body))
    assert headers["x-hub-signature"].startswith("sha256=")
    assert signing.verify_jira(SecretStr("It's a Secret to Everybody"), headers, body, source="jira")
    with pytest.raises(SignatureError):
        signing.verify_jira(SecretStr("It's a Secret to Everybody"), headers, body + b"\n", source="jira")
