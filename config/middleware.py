import structlog


class RequestIdHeaderMiddleware:
    """Echo the request id that django-structlog bound to the log context as `X-Request-ID`.

    Clients (the chatbot, a support engineer with a curl) can then quote it, and it finds every
    log line of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response["X-Request-ID"] = request_id
        return response
