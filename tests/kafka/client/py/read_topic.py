"""Reads a whole topic with confluent-kafka (librdkafka), read_committed, and prints one JSON
line: every record as [partition, key, value, headers]. librdkafka checks each batch's CRC and
decodes its records, so this proves the toolkit producer's batches are valid for other clients.

Usage: read_topic.py BOOTSTRAP TOPIC EXPECTED_COUNT
"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "interop-" + topic,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "isolation.level": "read_committed",
})
c.subscribe([topic])
out = []
deadline = time.time() + 60
while len(out) < expected and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise SystemExit(f"consume error: {m.error()}")
    dec = lambda b: None if b is None else b.decode("utf-8")
    out.append([m.partition(), dec(m.key()), dec(m.value()),
                {k: dec(v) for k, v in (m.headers() or [])}])
# Anything beyond the expected count would be a duplicate or an aborted record.
end = time.time() + 1.0
while time.time() < end:
    m = c.poll(0.2)
    if m is not None and not m.error():
        out.append([m.partition(), m.key() and m.key().decode(), m.value() and m.value().decode(), {}])
c.close()
print(json.dumps(out))
