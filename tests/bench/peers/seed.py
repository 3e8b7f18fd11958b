"""Seed one emulator account with N owned alarms and N owned log groups, and write
the matching driftless repository, Ansible playbook variables and resource list.

    seed.py N REPO_DIR
"""

import json
import os
import sys

import boto3

n, repo = int(sys.argv[1]), sys.argv[2]
own = {"driftless.dev/managed-by": "driftless"}
cw, logs = boto3.client("cloudwatch"), boto3.client("logs")
docs = []
for i in range(n):
    name = f"bench-{i:04d}"
    cw.put_metric_alarm(
        AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization",
        Statistic="Average", Period=300, EvaluationPeriods=3, Threshold=80.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="missing",
        Tags=[{"Key": k, "Value": v} for k, v in own.items()])
    docs.append(
        f"---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: {name}}}\n"
        "spec: {namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300,"
        " evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold,"
        " treatMissingData: missing}\n")
    group = f"/bench/{i:04d}"
    logs.create_log_group(logGroupName=group, tags=own)
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    docs.append(
        f"---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: {group}}}\n"
        "spec: {retentionInDays: 30}\n")
os.makedirs(repo, exist_ok=True)
with open(os.path.join(repo, "all.yaml"), "w") as f:
    f.write("".join(docs))
