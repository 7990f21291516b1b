"""One consumer group, two client libraries: librdkafka (confluent-kafka, JoinGroup v5) and
kafka-python (JoinGroup v2) agree on the "range" assignor, split 4 partitions, consume every
message exactly once between them, and the survivor takes everything when the other leaves.

Usage: /usr/bin/python3 mixed_group_check.py <bootstrap> <name-prefix>
Prints one JSON object; exits 1 with a message on the first mismatch.
"""
import json
import threading
import time

from confluent_kafka import Consumer, Producer
from kafka import KafkaConsumer

from _check import BOOTSTRAP, PREFIX, create_topic, fail

TOPIC = PREFIX + "-mixed"
GROUP = PREFIX + "-mixed-group"
ALL = [0, 1, 2, 3]
N = 100


create_topic(TOPIC, 4)

# kafka-python polls in its own thread: librdkafka needs the main thread's poll() to rejoin.
stop = threading.Event()
kp = {"assignment": [], "values": [], "error": None}


def kafka_python_member():
    try:
        k = KafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=GROUP,
                          auto_offset_reset="earliest", session_timeout_ms=6000,
                          heartbeat_interval_ms=300, max_poll_interval_ms=10000)
        while not stop.is_set():
            for _, msgs in k.poll(100).items():
                kp["values"] += [m.value for m in msgs]
            kp["assignment"] = sorted(tp.partition for tp in k.assignment())
        k.close()  # LeaveGroup
    except Exception as e:  # reported by the main thread
        kp["error"] = repr(e)


thread = threading.Thread(target=kafka_python_member)
thread.start()
try:
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": GROUP,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                  "heartbeat.interval.ms": 300, "max.poll.interval.ms": 10000,
                  "partition.assignment.strategy": "range"})
    c.subscribe([TOPIC])
    rd_values = []

    def poll_once():
        m = c.poll(0.1)
        if m is not None and not m.error():
            rd_values.append(m.value())
        if kp["error"]:
            fail("kafka-python member failed: " + kp["error"])
        return sorted(tp.partition for tp in c.assignment())

    deadline = time.time() + 30
    rd = []
    while time.time() < deadline:
        rd = poll_once()
        if rd and kp["assignment"] and sorted(rd + kp["assignment"]) == ALL:
            break
    else:
        fail("no split: librdkafka %s, kafka-python %s" % (rd, kp["assignment"]))
    split = [len(rd), len(kp["assignment"])]

    p = Producer({"bootstrap.servers": BOOTSTRAP})
    for i in range(N):
        p.produce(TOPIC, value=b"m%d" % i, partition=i % 4)
    if p.flush(10):
        fail("produce did not complete")
    deadline = time.time() + 20
    while time.time() < deadline and len(rd_values) + len(kp["values"]) < N:
        poll_once()
    both = rd_values + kp["values"]
    if sorted(both) != sorted(b"m%d" % i for i in range(N)):
        fail("consumed %d + %d messages, expected each of %d once"
             % (len(rd_values), len(kp["values"]), N))

    stop.set()
    thread.join(15)
    deadline = time.time() + 20
    while time.time() < deadline and poll_once() != ALL:
        pass
    if poll_once() != ALL:
        fail("after kafka-python left, librdkafka owns %s" % poll_once())
    c.close()
finally:
    stop.set()
    thread.join(15)

print(json.dumps({"split": sorted(split), "consumed": len(both), "after_leave": ALL}))
