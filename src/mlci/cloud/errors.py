"""AWS-shaped errors.

Every error a service raises is an `AwsError` carrying the AWS error code, the HTTP status and a
message. The wire format (JSON `__type`, S3 XML, query XML) is chosen by the protocol layer, so
services never format errors themselves. Codes and statuses live in one table below.
"""

from __future__ import annotations

# code -> HTTP status, for the codes this cloud raises. Codes missing here default to 400.
STATUS_BY_CODE: dict[str, int] = {
    # auth, shared by all services
    "MissingAuthenticationTokenException": 403,
    "MissingAuthenticationToken": 403,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    "IncompleteSignature": 403,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "AccessDenied": 403,
    "RequestTimeTooSkewed": 403,
    "AuthorizationHeaderMalformed": 400,
    # generic
    "ValidationException": 400,
    "ValidationError": 400,
    "SerializationException": 400,
    "UnknownOperationException": 400,
    "NotImplemented": 501,
    "InternalFailure": 500,
    "InternalError": 500,
    # SageMaker
    "ResourceNotFound": 400,
    "ResourceInUse": 400,
    "ResourceLimitExceeded": 400,
    "ConflictException": 400,
    "ModelError": 424,
    # CloudWatch Logs
    "ResourceNotFoundException": 400,
    "ResourceAlreadyExistsException": 400,
    "InvalidParameterException": 400,
    "InvalidSequenceTokenException": 400,
    # S3
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NotFound": 404,
    "BucketAlreadyOwnedByYou": 409,
    "BucketAlreadyExists": 409,
    "BucketNotEmpty": 409,
    "InvalidBucketName": 400,
    "KeyTooLongError": 400,
    "InvalidArgument": 400,
    "InvalidRequest": 400,
    "InvalidDigest": 400,
    "BadDigest": 400,
    "XAmzContentSHA256Mismatch": 400,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidPartNumber": 416,
    "MalformedXML": 400,
    "MissingContentLength": 411,
    "MethodNotAllowed": 405,
    "PreconditionFailed": 412,
    "NotModified": 304,
}


class AwsError(Exception):
    """An error returned to the client in its service's wire format."""

    def __init__(self, code: str, message: str, status: int | None = None, **extra: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_BY_CODE.get(code, 400)
        # extra elements some clients read (S3's <Key>, <BucketName>, ...)
        self.extra = extra

    def __repr__(self) -> str:
        return f"AwsError({self.code!r}, {self.message!r}, {self.status})"


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def not_found(message: str) -> AwsError:
    """SageMaker's 'no such resource' (most Describe* operations use ValidationException
    instead; callers pick whichever SageMaker uses for the operation)."""
    return AwsError("ResourceNotFound", message)


def in_use(message: str) -> AwsError:
    return AwsError("ResourceInUse", message)


_NOT_IMPLEMENTED_CODES = {"s3": ("NotImplemented", 501), "sts": ("InvalidAction", 400)}


def not_implemented(service: str, operation: str) -> AwsError:
    code, status = _NOT_IMPLEMENTED_CODES.get(service, ("UnknownOperationException", 400))
    return AwsError(code, f"mlci cloud does not implement {service}.{operation}", status=status)
