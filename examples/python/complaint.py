"""What the example intake channels share: their settings, a sample complaint, and waiting
for the complaint's case through GET /v1/events/{id}.

Settings come from the environment:
  COMPLAINTS_URL        the HTTP API (default http://127.0.0.1:8080)
  COMPLAINTS_TOKEN      an API client's token with the scope complaints:write (required)
  COMPLAINTS_AMQP_URL   RabbitMQ, for intake_amqp.py (default amqp://guest:guest@127.0.0.1:5672/%2f)
  COMPLAINTS_EXCHANGE   the exchange to publish to (default complaints.events)
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from cloudevents.core.v1.event import CloudEvent

API = os.environ.get("COMPLAINTS_URL", "http://127.0.0.1:8080").rstrip("/")
AMQP_URL = os.environ.get("COMPLAINTS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
EXCHANGE = os.environ.get("COMPLAINTS_EXCHANGE", "complaints.events")

# The schema this channel was written against: the system refuses an event naming a version of
# the schema it does not read, rather than misread it.
DATASCHEMA = "urn:complaints:schema:complaint.received:v1"


def token():
    value = os.environ.get("COMPLAINTS_TOKEN")
    if not value:
        sys.exit("set COMPLAINTS_TOKEN to an API client's token (complaints clients add NAME --scope complaints:write)")
    return value


def complaint(customer_reference=None):
    """A complaint.received CloudEvent, as a web form would send it."""
    now = datetime.now(timezone.utc)
    return CloudEvent(
        attributes={
            "id": str(uuid.uuid4()),
            "type": "complaint.received",
            "source": "urn:channel:example-web-form",
            "time": now,
            "datacontenttype": "application/json",
            "dataschema": DATASCHEMA,
        },
        data={
            "customer": {
                "reference": customer_reference or f"CUST-EXAMPLE-{uuid.uuid4().hex[:8].upper()}",
                "name": "Ms Jane Example",
                "address": {
                    "lines": ["14 Station Road", "Little Hadham", "Ware"],
                    "postcode": "SG11 2AA",
                },
                "email": "jane.example@example.org",
                "region": "england_and_wales",
            },
            "received_at": now.isoformat().replace("+00:00", "Z"),
            "channel": "web_form",
            "raised_by": "customer",
            "about": "service",
            "categories": ["delay"],
            "summary": "My payment has been late three months running.",
        },
    )


def api(method, path, body=None, headers=None):
    """One request to the HTTP API with the client's token; returns (status, JSON answer)."""
    request = urllib.request.Request(API + path, data=body, method=method)
    request.add_header("Authorization", f"Bearer {token()}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def wait_for_case(event_id, within_seconds=60):
    """Polls the event's status until a worker applied it; returns the case it opened. Exits
    with the reasons when it was refused or dead-lettered."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        status, answer = api("GET", f"/v1/events/{event_id}")
        if status != 200:
            sys.exit(f"GET /v1/events/{event_id}: {status} {answer}")
        if answer["status"] == "applied" and answer.get("opened_case"):
            return answer["opened_case"]
        if answer["status"] in ("refused", "dead_lettered"):
            reasons = [r["reason"] for r in answer["refusals"] + answer["dead_letters"]]
            sys.exit(f"event {event_id} was {answer['status']}: {reasons}")
        time.sleep(0.5)
    sys.exit(f"event {event_id}: no case within {within_seconds} s")
