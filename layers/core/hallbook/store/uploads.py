"""Application materials in the private uploads bucket (R17): one object per application and
material, `applications/<application_id>/<material>`, written by the citizen's browser or app
straight to S3 through a presigned POST whose policy fixes the key, the Content-Type and the size
range; read by staff through presigned GET URLs. The functions never carry the files themselves.

Presigning needs no request to S3: the URL and form are signed with the function's own credentials
(so its role must be allowed s3:PutObject / s3:GetObject on the key). In local mode the endpoint is
the embedded AWS (AWS_ENDPOINT_URL), so the URL points at it and curl can upload there."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from ..aws import client
from ..config import settings
from ..domain.applications import StoredObject

UPLOAD_SECONDS = 15 * 60  # a form is good for 15 minutes; ask for a new one after that
DOWNLOAD_SECONDS = 5 * 60


@dataclass(frozen=True)
class UploadForm:
    """A presigned POST of one material: every field, then the file as the form's field `file`."""

    material: str
    url: str
    fields: dict[str, str]
    content_type: str
    max_bytes: int
    expires_in: int


def object_key(application_id: str, material: str) -> str:
    return f"applications/{application_id}/{material}"


def upload_form(application_id: str, material: str, content_type: str, max_bytes: int) -> UploadForm:
    """A presigned POST for exactly this key, this Content-Type and 1..max_bytes bytes."""
    form = client("s3").generate_presigned_post(
        settings().uploads_bucket,
        object_key(application_id, material),
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return UploadForm(material, form["url"], form["fields"], content_type, max_bytes, UPLOAD_SECONDS)


def stored_object(application_id: str, material: str) -> StoredObject | None:
    """HeadObject: the uploaded material's type and size, or None when it is not there."""
    try:
        head = client("s3").head_object(Bucket=settings().uploads_bucket, Key=object_key(application_id, material))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(content_type=head.get("ContentType", ""), size=int(head.get("ContentLength", 0)))


def download_url(application_id: str, material: str) -> str:
    return client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings().uploads_bucket, "Key": object_key(application_id, material)},
        ExpiresIn=DOWNLOAD_SECONDS,
    )
