#!/usr/bin/env python3
"""An intake channel over RabbitMQ with pika and the official CloudEvents SDK's RabbitMQ
binding: publishes one complaint (persistent, with a publisher confirm) in binary mode (ce-
headers, the data as the body) or structured mode, waits for its case through the HTTP API,
and prints the case reference.

    COMPLAINTS_TOKEN=cmpl_... COMPLAINTS_AMQP_URL=amqp://web-form:...@broker:5672/%2f \\
        python3 intake_amqp.py [binary|structured]
"""

import sys

import pika
from cloudevents.core.bindings import rabbitmq

from complaint import AMQP_URL, EXCHANGE, complaint, wait_for_case


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "binary"
    event = complaint()
    if mode == "binary":
        message = rabbitmq.to_binary_event(event)
    elif mode == "structured":
        message = rabbitmq.to_structured_event(event)
    else:
        sys.exit("mode: binary or structured")
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish raises unless the broker confirms
        channel.basic_publish(
            exchange=EXCHANGE,
            routing_key=event.get_type(),  # the routing key is the event type
            body=message.body,
            properties=pika.BasicProperties(
                content_type=message.content_type,
                headers=message.headers,
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=event.get_id(),
            ),
            mandatory=True,
        )
    finally:
        connection.close()
    event_id = event.get_id()
    print(f"published complaint {event_id} to {EXCHANGE} ({mode} mode)", file=sys.stderr)
    print(wait_for_case(event_id))


if __name__ == "__main__":
    main()
