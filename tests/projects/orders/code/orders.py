"""The orders function: takes an order (POST) or lists the orders (GET) of the table named by TABLE."""

import json
import os


def handler(event, _context):
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    answer = {"table": os.environ.get("TABLE", ""), "method": method, "release": os.environ.get("RELEASE", "")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(answer)}
