import re
import uuid

import structlog
from django.conf import settings

from config.api.errors import error_json_response

# An upstream X-Request-ID is honoured only if it looks like an id: it is echoed in a response
# header and written into every log line, so nothing that could smuggle text gets there.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

logger = structlog.get_logger(__name__)


class RequestIdHeaderMiddleware:
    """Echo the request id that django-structlog bound to the log context as `X-Request-ID`.

    Clients (the chatbot, a support engineer with a curl) can then quote it, and it finds every
    log line of the request. An incoming `X-Request-ID` is reused (a trace across services) when
    it is a plausible id; otherwise a fresh one replaces it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and not REQUEST_ID_RE.match(request_id):
            request_id = str(uuid.uuid4())
            structlog.contextvars.bind_contextvars(request_id=request_id)
            logger.info("request_id_replaced", reason="upstream X-Request-ID is not a plain id")
        response = self.get_response(request)
        if request_id:
            response["X-Request-ID"] = request_id
        return response


class ApiErrorMiddleware:
    """The API's error shape for what happens outside DRF views under ``/api/``.

    - A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before anything reads it
      (DRF's parsers read the stream themselves and would not enforce Django's cap).
    - Any error response that is not JSON (Django's HTML 404 for an unknown URL, its 500 page for
      an exception outside a DRF view, a CSRF 403) is replaced by the JSON error shape.
    """

    PASSED_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            content_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            content_length = 0
        if limit is not None and content_length > limit:
            return error_json_response(
                413,
                message=f"The request body is too large (at most {limit} bytes).",
                details={"max_bytes": limit},
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            json_response = error_json_response(response.status_code)
            for header in self.PASSED_HEADERS:
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response
