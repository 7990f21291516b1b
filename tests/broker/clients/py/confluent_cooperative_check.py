"""Cooperative-sticky consumers (librdkafka) that start together settle in one generation, and
one leaving costs one more (the broker's group.initial.rebalance.delay.ms; the test counts the
generations in the broker's log).

Usage: /usr/bin/python3 confluent_cooperative_check.py <bootstrap> <name-prefix>
Prints one JSON object; exits 1 with a message on a mismatch.
"""
import json
import time

from confluent_kafka import Consumer

from _check import BOOTSTRAP, PREFIX, check, create_topic

TOPIC = PREFIX + "-coop"
GROUP = PREFIX + "-together"

create_topic(TOPIC, 6)


def member():
    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": GROUP,
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 300,
        "log_level": 0,
    })
    c.subscribe([TOPIC])
    return c


def poll_until(consumers, cond, what, timeout=20.0):
    end = time.time() + timeout
    while not cond():
        check(time.time() < end, "timed out waiting for " + what)
        for c in consumers:
            c.poll(0.05)


def owned(consumers):
    return sorted(tp.partition for c in consumers for tp in c.assignment())


members = []
for _ in range(3):  # 300 ms apart, as replicas start
    members.append(member())
    end = time.time() + 0.3
    while time.time() < end:
        for c in members:
            c.poll(0.05)
poll_until(members, lambda: owned(members) == list(range(6)) and
           all(len(c.assignment()) == 2 for c in members), "all three to own two partitions")
members[2].close()
rest = members[:2]
poll_until(rest, lambda: owned(rest) == list(range(6)), "the other two to own all partitions")
for c in rest:
    c.close()
print(json.dumps({"group": GROUP, "owned": owned([])}))
