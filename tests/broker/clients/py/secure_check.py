"""SASL/SCRAM over TLS with a real Python client against the embedded broker.

Usage: secure_check.py <bootstrap> <prefix> <client> <mode> <ca> <mechanism> <user> <password>
client: confluent | kafka-python. mode: ok (produce 50, consume them in a group) or fail
(expect the connection to be refused; report the error). Prints one JSON line.
"""
import json
import sys

from _check import BOOTSTRAP, PREFIX, check, fail

CLIENT, MODE, CA, MECH, USER, PASSWORD = sys.argv[3:9]
TOPIC = PREFIX + "-secure"
N = 50


def confluent():
    from confluent_kafka import Consumer, KafkaException, Producer
    from confluent_kafka.admin import AdminClient

    conf = {
        "bootstrap.servers": BOOTSTRAP,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": MECH,
        "sasl.username": USER,
        "sasl.password": PASSWORD,
        "ssl.ca.location": CA,
    }
    if MODE == "fail":
        errors = []
        admin = AdminClient({**conf, "error_cb": lambda e: errors.append(e.str())})
        try:
            admin.list_topics(timeout=5)
            fail("expected the connection to fail")
        except KafkaException as e:
            errors.append(e.args[0].str())
        admin.poll(0.5)  # serves error_cb
        return {"error": " | ".join(errors)}
    p = Producer(conf)
    for i in range(N):
        p.produce(TOPIC, key=str(i).encode(), value=("v-%d" % i).encode())
    check(p.flush(15) == 0, "undelivered messages")
    c = Consumer({**conf, "group.id": PREFIX + "-g", "auto.offset.reset": "earliest"})
    c.subscribe([TOPIC])
    got = []
    for _ in range(200):
        if len(got) >= N:
            break
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    c.close()
    return {"produced": N, "consumed": len(got)}


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError

    conf = dict(
        bootstrap_servers=BOOTSTRAP,
        security_protocol="SASL_SSL",
        sasl_mechanism=MECH,
        sasl_plain_username=USER,
        sasl_plain_password=PASSWORD,
        ssl_cafile=CA,
        ssl_check_hostname=True,
        api_version_auto_timeout_ms=5000,
    )
    if MODE == "fail":
        try:
            KafkaProducer(**conf)
        except KafkaError as e:
            return {"error": type(e).__name__}
        fail("expected the connection to fail")
    p = KafkaProducer(**conf)
    for i in range(N):
        p.send(TOPIC, key=str(i).encode(), value=("v-%d" % i).encode())
    p.flush(15)
    p.close()
    c = KafkaConsumer(TOPIC, group_id=PREFIX + "-g", auto_offset_reset="earliest",
                      consumer_timeout_ms=8000, **conf)
    got = [m.value.decode() for _, m in zip(range(N), c)]
    c.close()
    return {"produced": N, "consumed": len(got)}


print(json.dumps(confluent() if CLIENT == "confluent" else kafka_python()))
