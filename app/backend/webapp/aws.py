"""The backend behind API Gateway's HTTP API (payload format 2.0), answering through the WSGI app."""

import io

from webapp.wsgi import application


def handler(event, _context):
    said = {}

    def start_response(status, headers):
        said["status"] = int(status.split(" ", 1)[0])
        said["headers"] = dict(headers)

    environ = {
        "REQUEST_METHOD": event.get("requestContext", {}).get("http", {}).get("method", "GET"),
        "PATH_INFO": event.get("rawPath", "/"),
        "QUERY_STRING": event.get("rawQueryString", ""),
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(application(environ, start_response))
    return {"statusCode": said["status"], "headers": said["headers"], "body": body.decode()}
