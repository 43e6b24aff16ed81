"""Rotation of the session-token signing key (JwtSigningSecret): Secrets Manager's four steps.

createSecret puts a new random key as AWSPENDING; setSecret and testSecret have nothing outside to
change or try (the key is hallbook's alone); finishSecret moves AWSCURRENT to it, and Secrets Manager
labels the key it replaces AWSPREVIOUS. Tokens name their key (`kid`), and services.tokens verifies
with AWSCURRENT or AWSPREVIOUS: a token signed just before a rotation stays good until it expires
(two hours), and the previous key is retired by the next rotation. Processes re-read the keys
within services.tokens.KEY_CACHE_SECONDS.

To retire a key at once (a leak): rotate twice (`aws secretsmanager rotate-secret --secret-id ...`,
wait for it to finish, again); every token signed with it is refused within KEY_CACHE_SECONDS."""

from __future__ import annotations

import logging

from hallbook.aws import client

log = logging.getLogger(__name__)
KEY_LENGTH = 64


def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    secretsmanager = client("secretsmanager")
    versions = secretsmanager.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    if "AWSCURRENT" in versions.get(token, ()):
        log.info("signing key version %s is already current", token)
        return
    if step != "createSecret" and "AWSPENDING" not in versions.get(token, ()):
        raise ValueError(f"version {token} of the signing key is not pending")
    if step == "createSecret":
        create(secretsmanager, arn, token)
    elif step in ("setSecret", "testSecret"):
        if step == "testSecret":
            key = secretsmanager.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            if len(key["SecretString"]) < 32:
                raise ValueError("the pending signing key is too short")
    elif step == "finishSecret":
        finish(secretsmanager, arn, token, versions)
    else:
        raise ValueError(f"unknown rotation step {step}")


def create(secretsmanager, arn: str, token: str) -> None:
    """A new random key as this rotation's AWSPENDING version (once: a retried step keeps it)."""
    try:
        secretsmanager.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return
    except secretsmanager.exceptions.ResourceNotFoundException:
        pass
    key = secretsmanager.get_random_password(PasswordLength=KEY_LENGTH, ExcludePunctuation=True)["RandomPassword"]
    secretsmanager.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=key, VersionStages=["AWSPENDING"]
    )
    log.info("new signing key version %s pending", token)


def finish(secretsmanager, arn: str, token: str, versions: dict) -> None:
    """AWSCURRENT moves to the new key; the key it leaves becomes AWSPREVIOUS (still verifying)."""
    current = next((v for v, stages in versions.items() if "AWSCURRENT" in stages), None)
    secretsmanager.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
    )
    log.info("signing key version %s is current; %s is previous", token, current)
