"""Call counts per account (GET /_driftless/calls?account=...)."""



def test_counts_can_be_read_per_account(endpoint, client):
    import json
    import urllib.request

    logs_a = client("logs")
    logs_a.describe_log_groups()
    logs_a.describe_log_groups()
    account = logs_a._request_signer._credentials.access_key
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls?account={account}") as r:
        mine = json.load(r)
    assert mine["calls"] == {"logs": {"DescribeLogGroups": 2}}
    assert mine["total"] == 2
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls?account=000000000000") as r:
        assert json.load(r)["total"] == 0
