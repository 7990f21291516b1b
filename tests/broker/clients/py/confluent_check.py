"""Conformance checks of the sa broker with python3-confluent-kafka (librdkafka).

Usage: /usr/bin/python3 confluent_check.py <bootstrap> <name-prefix>
Prints one JSON object with the figures checked; exits 1 with a message on the first mismatch.
"""
import json
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from _check import BOOTSTRAP, PREFIX, check, fail

TOPIC = PREFIX + "-data"
TXN_TOPIC = PREFIX + "-txn"
SOURCE = PREFIX + "-source"
N = 300
results = {}


def consumer(group, **extra):
    conf = {
        "bootstrap.servers": BOOTSTRAP,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
    }
    conf.update(extra)
    return Consumer(conf)


def drain(c, want=None, until=None, timeout=20.0, quiet=1.0):
    """Polls until `want` messages, a message with value `until`, or `quiet` s with nothing."""
    got = []
    deadline = time.time() + timeout
    last = time.time()
    while time.time() < deadline:
        m = c.poll(0.1)
        if m is None:
            if want is None and until is None and got and time.time() - last > quiet:
                break
            if want == 0 and time.time() - last > quiet:
                break
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                continue
            fail("consumer error: %s" % m.error())
        last = time.time()
        got.append((m.partition(), m.offset(), m.key(), m.value()))
        if want is not None and len(got) >= want:
            break
        if until is not None and m.value() == until:
            break
    return got


# --- admin: topics ---------------------------------------------------------------------------
admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
futures = admin.create_topics(
    [NewTopic(TOPIC, 3, 1), NewTopic(TXN_TOPIC, 1, 1), NewTopic(SOURCE, 1, 1)],
    operation_timeout=10,
)
for name, f in futures.items():
    f.result(15)
md = admin.list_topics(timeout=10)
check(TOPIC in md.topics, "created topic missing from metadata")
check(len(md.topics[TOPIC].partitions) == 3, "expected 3 partitions")
results["admin_topics"] = 3

# --- producer with delivery reports ------------------------------------------------------------
delivered = []


def on_delivery(err, msg):
    if err is not None:
        fail("delivery failed: %s" % err)
    delivered.append((msg.partition(), msg.offset(), msg.key(), msg.value()))


p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "acks": "all"})
expected = {}
for i in range(N):
    key = ("key-%d" % (i % 13)).encode()
    value = ("value-%d-%s" % (i, "q" * (i % 11))).encode()
    expected[value] = key
    p.produce(TOPIC, value=value, key=key, on_delivery=on_delivery)
check(p.flush(15) == 0, "messages left undelivered after flush")
check(len(delivered) == N, "delivery reports: %d of %d" % (len(delivered), N))
check(len({(d[0], d[1]) for d in delivered}) == N, "two messages acknowledged at the same offset")
results["delivered"] = len(delivered)

# --- consumer group: commit, close, resume -----------------------------------------------------
group = PREFIX + "-group"
c1 = consumer(group)
c1.subscribe([TOPIC])
first = drain(c1, want=N // 2)
check(len(first) == N // 2, "first consumer got %d, wanted %d" % (len(first), N // 2))
c1.commit(asynchronous=False)
committed = c1.committed([TopicPartition(TOPIC, i) for i in range(3)], timeout=10)
c1.close()
want_committed = {}
for part, off, _, _ in first:
    want_committed[part] = max(want_committed.get(part, 0), off + 1)
for tp in committed:
    check(
        tp.offset == want_committed.get(tp.partition, -1001),
        "committed offset of partition %d is %d, expected %s"
        % (tp.partition, tp.offset, want_committed.get(tp.partition)),
    )

c2 = consumer(group)
c2.subscribe([TOPIC])
rest = drain(c2, want=N - len(first))
extra = drain(c2, want=0, quiet=1.0)
c2.close()
check(not extra, "resumed consumer got %d extra messages" % len(extra))
all_msgs = first + rest
check(len(all_msgs) == N, "group read %d of %d" % (len(all_msgs), N))
check(len({m[3] for m in all_msgs}) == N, "group read duplicates across the resume")
for part, off, key, value in all_msgs:
    check(expected.get(value) == key, "content mismatch at %d@%d" % (part, off))
check(sorted((d[0], d[1], d[2], d[3]) for d in delivered) == sorted(all_msgs),
      "consumed (partition, offset, key, value) differ from the delivery reports")
results["group_first"] = len(first)
results["group_resumed"] = len(rest)

# --- transactions ------------------------------------------------------------------------------
tp_conf = {"bootstrap.servers": BOOTSTRAP, "transactional.id": PREFIX + "-txid",
           "transaction.timeout.ms": 10000}
tx = Producer(tp_conf)
tx.init_transactions(15)
meta_consumer = consumer(PREFIX + "-txn-offsets")
tx.begin_transaction()
for i in range(10):
    tx.produce(TXN_TOPIC, value=("c%d" % i).encode(), key=b"k")
tx.send_offsets_to_transaction([TopicPartition(SOURCE, 0, 5)],
                               meta_consumer.consumer_group_metadata(), 15)
tx.commit_transaction(15)
tx.begin_transaction()
for i in range(10):
    tx.produce(TXN_TOPIC, value=("a%d" % i).encode(), key=b"k")
tx.send_offsets_to_transaction([TopicPartition(SOURCE, 0, 99)],
                               meta_consumer.consumer_group_metadata(), 15)
tx.flush(15)
tx.abort_transaction(15)
plain = Producer({"bootstrap.servers": BOOTSTRAP})
plain.produce(TXN_TOPIC, value=b"end")
check(plain.flush(10) == 0, "plain producer did not deliver")


def read_txn_topic(group, isolation):
    """The values of TXN_TOPIC up to "end", read by a fresh group at this isolation level."""
    c = consumer(group, **{"isolation.level": isolation})
    c.subscribe([TXN_TOPIC])
    values = [m[3].decode() for m in drain(c, until=b"end")]
    c.close()
    return values


rc_vals = read_txn_topic(PREFIX + "-rc", "read_committed")
check(rc_vals == ["c%d" % i for i in range(10)] + ["end"],
      "read_committed saw %s" % rc_vals)
ru_vals = read_txn_topic(PREFIX + "-ru", "read_uncommitted")
check(ru_vals == ["c%d" % i for i in range(10)] + ["a%d" % i for i in range(10)] + ["end"],
      "read_uncommitted saw %s" % ru_vals)
src = meta_consumer.committed([TopicPartition(SOURCE, 0)], timeout=10)
meta_consumer.close()
check(src[0].offset == 5, "transactional offset commit: %d, expected 5" % src[0].offset)
results["txn_read_committed"] = len(rc_vals)
results["txn_read_uncommitted"] = len(ru_vals)
results["txn_offset"] = src[0].offset

# --- compression codecs: stored as received, served as-is, decoded by the client ----------------
for codec in ["gzip", "snappy", "lz4", "zstd"]:
    ctopic = "%s-%s" % (PREFIX, codec)
    cp = Producer({"bootstrap.servers": BOOTSTRAP, "compression.type": codec, "linger.ms": 20})
    sent_vals = [("%s-%d-%s" % (codec, i, "z" * (i % 50))).encode() for i in range(200)]
    for v in sent_vals:
        cp.produce(ctopic, key=b"k", value=v)
    check(cp.flush(15) == 0, "%s: undelivered" % codec)
    cc = consumer(PREFIX + "-" + codec)
    cc.subscribe([ctopic])
    got_vals = [m[3] for m in drain(cc, want=len(sent_vals))]
    cc.close()
    check(got_vals == sent_vals, "%s: read back %d of %d, or content differs"
          % (codec, len(got_vals), len(sent_vals)))
results["codecs"] = 4

# --- a compacted topic refuses null keys (INVALID_RECORD), inside compressed batches too ------
compacted = PREFIX + "-compacted"
for f in admin.create_topics([NewTopic(compacted, 1, 1, config={"cleanup.policy": "compact"})],
                             operation_timeout=10).values():
    f.result(15)
for codec in ["none", "gzip"]:
    errs = []
    np = Producer({"bootstrap.servers": BOOTSTRAP, "compression.type": codec, "retries": 0})
    np.produce(compacted, value=b"keyless", on_delivery=lambda err, msg: errs.append(err))
    np.produce(compacted, key=b"k", value=b"keyed")
    np.flush(15)
    check(len(errs) == 1 and errs[0] is not None and errs[0].code() == KafkaError.INVALID_RECORD,
          "%s: null key on a compacted topic gave %s" % (codec, errs))
results["compacted_null_key"] = "INVALID_RECORD"

print(json.dumps(results))
