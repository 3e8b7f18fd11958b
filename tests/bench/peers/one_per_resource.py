"""Terraform's refresh pattern as a small boto3 program: every resource is read on
its own, a describe by name plus a tag read, with 10 workers (Terraform's default
-parallelism). Compares each with the desired values and prints how many differ.

    one_per_resource.py N
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

n = int(sys.argv[1])
config = Config(max_pool_connections=10)
cw, logs = boto3.client("cloudwatch", config=config), boto3.client("logs", config=config)
OWNER = {"Key": "driftless.dev/managed-by", "Value": "driftless"}
WANT_ALARM = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average",
              "Period": 300, "EvaluationPeriods": 3, "Threshold": 80.0,
              "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "missing"}


def alarm(i):
    found = cw.describe_alarms(AlarmNames=[f"bench-{i:04d}"])["MetricAlarms"]
    if not found:
        return 1
    tags = cw.list_tags_for_resource(ResourceARN=found[0]["AlarmArn"])["Tags"]
    same = all(found[0].get(k) == v for k, v in WANT_ALARM.items())
    return 0 if same and OWNER in tags else 1


def group(i):
    name = f"/bench/{i:04d}"
    found = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
             if g["logGroupName"] == name]
    if not found:
        return 1
    arn = found[0]["arn"].removesuffix(":*")
    tags = logs.list_tags_for_resource(resourceArn=arn)["tags"]
    same = found[0].get("retentionInDays") == 30
    return 0 if same and tags.get(OWNER["Key"]) == OWNER["Value"] else 1


with ThreadPoolExecutor(max_workers=10) as pool:
    differ = sum(pool.map(alarm, range(n))) + sum(pool.map(group, range(n)))
print(f"resources read: {2 * n}, differing: {differ}")
sys.exit(1 if differ else 0)
