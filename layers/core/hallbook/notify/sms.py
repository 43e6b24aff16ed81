"""The SMS port. Deployed: SNS direct-to-phone publish. Local mode swaps in a sender it can make
fail on demand (POST /local/sms-provider), to watch retries and the dead-letter queue."""

from __future__ import annotations

from typing import Protocol


class SmsFailed(Exception):
    """The provider did not take the message; it may succeed later."""


class SmsSender(Protocol):
    def send(self, phone_e164: str, text: str) -> str: ...


class SnsSender:
    def __init__(self):
        self._client = None

    def send(self, phone_e164: str, text: str) -> str:
        if self._client is None:
            import boto3  # on first use (cold start)

            self._client = boto3.client("sns")
        try:
            response = self._client.publish(
                PhoneNumber=phone_e164,
                Message=text,
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
            )
        except Exception as error:  # botocore errors, timeouts: all retryable from here
            raise SmsFailed(str(error)) from error
        return response["MessageId"]


_sender: SmsSender = SnsSender()


def get_sender() -> SmsSender:
    return _sender


def set_sender(sender: SmsSender) -> None:
    global _sender
    _sender = sender
