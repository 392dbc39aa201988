#!/usr/bin/env bash
# An intake channel in a shell with curl: posts one complaint as a structured-mode CloudEvent,
# polls GET /v1/events/{id} until a worker opened its case, and prints the case reference.
#
#   COMPLAINTS_TOKEN=cmpl_... examples/shell/intake.sh
#
# COMPLAINTS_URL is the HTTP API (default http://127.0.0.1:8080); the token is an API client's
# with the scope complaints:write (complaints clients add NAME --scope complaints:write).
set -euo pipefail
api=${COMPLAINTS_URL:-http://127.0.0.1:8080}
: "${COMPLAINTS_TOKEN:?set COMPLAINTS_TOKEN to an API client token with the scope complaints:write}"
id=$(cat /proc/sys/kernel/random/uuid)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
customer="CUST-EXAMPLE-${id:0:8}"

answer=$(curl --silent --show-error --fail-with-body \
    -H "Authorization: Bearer $COMPLAINTS_TOKEN" \
    -H 'Content-Type: application/cloudevents+json' \
    --data-binary @- "$api/v1/events" <<JSON
{
  "specversion": "1.0",
  "id": "$id",
  "type": "complaint.received",
  "source": "urn:channel:example-shell",
  "time": "$now",
  "datacontenttype": "application/json",
  "dataschema": "urn:complaints:schema:complaint.received:v1",
  "data": {
    "customer": {
      "reference": "$customer",
      "name": "Ms Jane Example",
      "address": { "lines": ["14 Station Road", "Little Hadham", "Ware"], "postcode": "SG11 2AA" },
      "region": "england_and_wales"
    },
    "received_at": "$now",
    "channel": "web_form",
    "raised_by": "customer",
    "about": "service",
    "categories": ["delay"],
    "summary": "My payment has been late three months running."
  }
}
JSON
) || { echo "POST /v1/events refused: $answer" >&2; exit 1; }
echo "sent complaint $id" >&2

# Poll the event's status (twice a second, for at most a minute).
for _ in $(seq 120); do
    status=$(curl --silent --show-error --fail-with-body \
        -H "Authorization: Bearer $COMPLAINTS_TOKEN" "$api/v1/events/$id")
    case "$status" in
        *'"status":"applied"'*'"opened_case":"'*)
            echo "$status" | sed -n 's/.*"opened_case":"\([^"]*\)".*/\1/p'
            exit 0 ;;
        *'"status":"refused"'* | *'"status":"dead_lettered"'*)
            echo "event $id was not accepted: $status" >&2
            exit 1 ;;
    esac
    sleep 0.5
done
echo "event $id: no case within a minute" >&2
exit 1
