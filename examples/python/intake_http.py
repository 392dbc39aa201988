#!/usr/bin/env python3
"""An intake channel over HTTP with the official CloudEvents SDK: sends one complaint in
binary mode (the default: ce- headers, the data as the body) or structured mode, waits for its
case, and prints the case reference.

    COMPLAINTS_TOKEN=cmpl_... python3 intake_http.py [binary|structured]
"""

import sys

from cloudevents.core.bindings import http

from complaint import api, complaint, wait_for_case


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "binary"
    event = complaint()
    if mode == "binary":
        message = http.to_binary_event(event)
    elif mode == "structured":
        message = http.to_structured_event(event)
    else:
        sys.exit("mode: binary or structured")
    status, answer = api("POST", "/v1/events", message.body, message.headers)
    if status != 202:
        sys.exit(f"POST /v1/events: {status} {answer}")
    event_id = answer["id"]
    print(f"sent complaint {event_id} over HTTP ({mode} mode)", file=sys.stderr)
    print(wait_for_case(event_id))


if __name__ == "__main__":
    main()
