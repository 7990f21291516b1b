"""Static membership (KIP-345) with librdkafka: a zombie is fenced. A second consumer started
with the same group.instance.id while the first still runs takes the instance over; the first
one's next group request carries its old member id and gets FENCED_INSTANCE_ID, which
librdkafka raises as a fatal error, so the zombie stops instead of rejoining and fencing its
successor in turn (the test counts the rebalances in the broker's log: one).

Usage: /usr/bin/python3 confluent_static_fenced_check.py <bootstrap> <name-prefix>
Prints one JSON object; exits 1 with a message on a mismatch.
"""
import json
import time

from confluent_kafka import Consumer, KafkaError

from _check import BOOTSTRAP, PREFIX, check, create_topic

TOPIC = PREFIX + "-fenced"
GROUP = PREFIX + "-fenced"

create_topic(TOPIC, 2)


def member():
    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": GROUP,
        "group.instance.id": "inst-z",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 300,
        "log_level": 0,
    })
    c.subscribe([TOPIC])
    return c


def owned(c):
    return sorted(tp.partition for tp in c.assignment())


zombie = member()
end = time.time() + 20
while owned(zombie) != [0, 1]:
    check(time.time() < end, "timed out waiting for the first consumer's assignment")
    zombie.poll(0.05)
successor = member()
fatal = None
end = time.time() + 20
while fatal is None or owned(successor) != [0, 1]:
    check(time.time() < end, "timed out waiting for the zombie's fatal error")
    m = zombie.poll(0.05) if fatal is None else None
    if m is not None and m.error() is not None:
        check(m.error().code() == KafkaError._FATAL, "zombie got %s, not fatal" % m.error())
        fatal = m.error().str()
    successor.poll(0.05)
# A while longer: the successor keeps both partitions (the zombie did not come back).
end = time.time() + 1.5
while time.time() < end:
    successor.poll(0.05)
check(owned(successor) == [0, 1], "the successor lost partitions: %s" % owned(successor))
zombie.close()
successor.close()
print(json.dumps({
    "group": GROUP,
    "zombie_fatal": True,
    "zombie_fenced": "Static consumer fenced" in fatal,
    "successor": [0, 1],
}))
