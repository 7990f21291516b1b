"""Conformance checks of the sa broker with kafka-python 2.0.2.

Usage: /usr/bin/python3 kafka_python_check.py <bootstrap> <name-prefix>
Prints one JSON object with the figures checked; exits 1 with a message on the first mismatch.
"""
import json
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from _check import BOOTSTRAP, PREFIX, check, fail

TOPIC = PREFIX + "-data"
DOOMED = PREFIX + "-doomed"
N = 300
results = {}


# --- admin ------------------------------------------------------------------------------------
admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id=PREFIX + "-admin")
admin.create_topics([NewTopic(TOPIC, 3, 1), NewTopic(DOOMED, 2, 1)])
topics = set(admin.list_topics())
check(TOPIC in topics and DOOMED in topics, "created topics not listed: %s" % sorted(topics))
admin.delete_topics([DOOMED])
deadline = time.time() + 10
while DOOMED in set(admin.list_topics()):
    if time.time() > deadline:
        fail("deleted topic still listed")
    time.sleep(0.1)
results["admin"] = "create/list/delete"

# --- producer ---------------------------------------------------------------------------------
producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5)
futures = []
expected = {}
for i in range(N):
    key = ("key-%d" % (i % 7)).encode()
    value = ("value-%d-%s" % (i, "p" * (i % 9))).encode()
    expected[value] = key
    futures.append(producer.send(TOPIC, key=key, value=value))
producer.flush(15)
acked = [f.get(timeout=15) for f in futures]
check(len({(m.partition, m.offset) for m in acked}) == N, "acks repeat an offset")
producer.close(5)
results["produced"] = len(acked)

# --- consumer group ---------------------------------------------------------------------------
group = PREFIX + "-group"


def consume(group_id):
    c = KafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=group_id,
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=3000, session_timeout_ms=6000,
                      heartbeat_interval_ms=500, fetch_max_wait_ms=100)
    got = []
    deadline = time.time() + 30
    for m in c:
        got.append((m.partition, m.offset, m.key, m.value))
        if len(got) >= N or time.time() > deadline:
            break
    c.commit()
    c.close()
    return got


got = consume(group)
check(len(got) == N, "consumer read %d of %d" % (len(got), N))
for part, off, key, value in got:
    check(expected.get(value) == key, "content mismatch at %d@%d" % (part, off))
check(sorted((m.partition, m.offset) for m in acked) == sorted((g[0], g[1]) for g in got),
      "consumed offsets differ from the acknowledged ones")
by_key = {}
for part, off, key, value in sorted(got):
    i = int(value.decode().split("-")[1])
    prev = by_key.get(key)
    check(prev is None or (prev[0] == part and prev[1] < i), "per-key order broken at %d" % i)
    by_key[key] = (part, i)
results["consumed"] = len(got)
again = consume(group)
check(len(again) == 0, "committed group re-read %d messages" % len(again))
results["resumed_extra"] = len(again)
admin.close()
print(json.dumps(results))
