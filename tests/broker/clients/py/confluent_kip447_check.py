"""KIP-447 with librdkafka: offsets sent to a transaction with a consumer's group metadata are
refused once a rebalance moved the group past that consumer's generation.

Usage: /usr/bin/python3 confluent_kip447_check.py <bootstrap> <name-prefix>
A consumer joins (generation 1) and its metadata commits offsets in a transaction. A second
consumer joins (generation 2); offsets sent with the first consumer's stale metadata are refused
(TxnOffsetCommit v3 carries generation and member id), and the committed offset stays. Before
TxnOffsetCommit v3 was served, librdkafka sent v1 without them and the stale commit went through.
Prints one JSON object; exits 1 with a message on a mismatch.
"""
import json
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from _check import BOOTSTRAP, PREFIX, check, create_topic

TOPIC = PREFIX + "-in"
GROUP = PREFIX + "-g"

create_topic(TOPIC, 2)


def member():
    c = Consumer({
        "bootstrap.servers": BOOTSTRAP,
        "group.id": GROUP,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
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
            c.poll(0.1)


first = member()
poll_until([first], lambda: len(first.assignment()) == 2, "the first member's assignment")
stale = first.consumer_group_metadata()

producer = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": PREFIX + "-tx",
                     "log_level": 0})
producer.init_transactions(15)
producer.begin_transaction()
producer.send_offsets_to_transaction([TopicPartition(TOPIC, 0, 5)], stale, 15)
producer.commit_transaction(15)

second = member()
poll_until([first, second],
           lambda: len(first.assignment()) == 1 and len(second.assignment()) == 1,
           "the rebalance to two members")

producer.begin_transaction()
error = None
try:
    producer.send_offsets_to_transaction([TopicPartition(TOPIC, 0, 9)], stale, 15)
    producer.commit_transaction(15)
except KafkaException as e:
    error = e.args[0]
check(error is not None, "offsets sent with a stale generation were committed")
if error.txn_requires_abort():
    producer.abort_transaction(15)
committed = first.committed([TopicPartition(TOPIC, 0)], timeout=10)[0].offset
first.close()
second.close()
print(json.dumps({"refused": error.name(), "committed": committed}))
