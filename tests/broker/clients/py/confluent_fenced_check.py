"""A fenced transactional producer (librdkafka) stops: its next produce is a fatal error.

Usage: /usr/bin/python3 confluent_fenced_check.py <bootstrap> <name-prefix>
A zombie opens a transaction and produces; a successor with the same transactional.id calls
init_transactions (fencing it); the zombie's next produce must come back as a fatal error
(librdkafka raises it for INVALID_PRODUCER_EPOCH, not for INVALID_TXN_STATE). Prints one JSON
object; exits 1 with a message on a mismatch.
"""
import json

from confluent_kafka import KafkaException, Producer

from _check import BOOTSTRAP, PREFIX, check, create_topic

TOPIC = PREFIX + "-fenced"
conf = {"bootstrap.servers": BOOTSTRAP, "transactional.id": PREFIX + "-txid"}

create_topic(TOPIC, 1)

zombie = Producer(dict(conf, log_level=0))
zombie.init_transactions(15)
zombie.begin_transaction()
zombie.produce(TOPIC, b"before", partition=0)
check(zombie.flush(15) == 0, "the zombie's first produce was not delivered")

successor = Producer(conf)
successor.init_transactions(15)  # fences the zombie

fatal = None
try:
    zombie.produce(TOPIC, b"after", partition=0)
    zombie.flush(15)  # raises the fatal error once the broker answers the produce
    zombie.commit_transaction(15)
except KafkaException as e:
    fatal = e.args[0]
check(fatal is not None, "the zombie committed its transaction after being fenced")
print(json.dumps({"zombie_fatal": fatal.fatal(), "zombie_error": fatal.name()}))
