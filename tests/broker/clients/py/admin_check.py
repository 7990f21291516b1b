"""Admin APIs of the sa broker through confluent-kafka (librdkafka) and kafka-python 2.0.2:
AlterConfigs (33) from both, DescribeGroups v3 from kafka-python.

Usage: /usr/bin/python3 admin_check.py <bootstrap> <name-prefix>
Prints one JSON object with the figures checked; exits 1 with a message on the first mismatch.
"""
import json
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import ConfigResource as KPConfigResource, ConfigResourceType

from _check import BOOTSTRAP, PREFIX, check, fail

TOPIC = PREFIX + "-cfg"
GROUP = PREFIX + "-group"
results = {}


def configs(admin, topic):
    """The topic's configs as {name: (value, is_default)} through confluent-kafka."""
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(10)
    return {k: (e.value, e.is_default) for k, e in entries.items()}


# --- confluent-kafka: AlterConfigs --------------------------------------------------------------
admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
admin.create_topics([NewTopic(TOPIC, 1, 1, config={"segment.ms": "600000"})])[TOPIC].result(10)
res = ConfigResource(ConfigResource.Type.TOPIC, TOPIC, set_config={"retention.ms": "1234"})
admin.alter_configs([res])[res].result(10)
got = configs(admin, TOPIC)
check(got["retention.ms"] == ("1234", False), "retention.ms after alter: %s" % (got["retention.ms"],))
# AlterConfigs replaces the whole set: segment.ms is back to its default.
check(got["segment.ms"] == ("604800000", True), "segment.ms after alter: %s" % (got["segment.ms"],))
bad = ConfigResource(ConfigResource.Type.TOPIC, TOPIC, set_config={"no.such.key": "1"})
try:
    admin.alter_configs([bad])[bad].result(10)
    fail("an unknown config key was accepted")
except KafkaException as e:
    err = e.args[0]
    check(err.name() == "INVALID_CONFIG", "unknown key error: %s" % err.name())
    check("no.such.key" in err.str(), "the error names the key: %s" % err.str())
    results["confluent_invalid"] = err.name()
check(configs(admin, TOPIC)["retention.ms"] == ("1234", False), "a refused alter changed configs")
results["confluent_alter"] = "retention.ms=1234"

# --- kafka-python: AlterConfigs and DescribeGroups v3 -------------------------------------------
kp = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id=PREFIX + "-admin")
out = kp.alter_configs([KPConfigResource(ConfigResourceType.TOPIC, TOPIC, configs={"cleanup.policy": "compact"})])
check([r[0] for r in out.resources] == [0], "kafka-python alter_configs: %s" % (out.resources,))
got = configs(admin, TOPIC)
check(got["cleanup.policy"] == ("compact", False), "cleanup.policy: %s" % (got["cleanup.policy"],))
check(got["retention.ms"][1], "retention.ms not back to default: %s" % (got["retention.ms"],))
results["kafka_python_alter"] = "cleanup.policy=compact"

consumer = KafkaConsumer(TOPIC, bootstrap_servers=BOOTSTRAP, group_id=GROUP, client_id=PREFIX + "-c")
deadline = time.time() + 20
while not consumer.assignment():
    if time.time() > deadline:
        fail("the consumer got no assignment")
    consumer.poll(200)
version = kp._matching_api_version(__import__("kafka.protocol.admin", fromlist=["x"]).DescribeGroupsRequest)
desc = kp.describe_consumer_groups([GROUP], include_authorized_operations=True)[0]
check(desc.state == "Stable", "group state %s" % desc.state)
check(len(desc.members) == 1, "members: %s" % (desc.members,))
check(desc.members[0].member_metadata.subscription == [TOPIC], "subscription %s" % (desc.members[0].member_metadata,))
results["describe_groups"] = {"version": version, "state": desc.state, "members": len(desc.members)}
consumer.close()
kp.close()

print(json.dumps(results))
