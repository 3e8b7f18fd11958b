"""Secrets are referenced, never rendered: git credentials, the webhook secret and
the admin token come from existing Secrets, mounted read-only as files."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import (
    ADMIN_SECRET,
    FULL,
    GIT_SECRET,
    SSH_URL,
    VALUE_SETS,
    WEBHOOK_SECRET,
    base,
)

# Variables that would carry a secret value themselves: only ever a secretKeyRef.
SECRET_VALUED = {
    "DRIFTLESS_GIT_TOKEN",
    "DRIFTLESS_GIT_SSH_KEY_PASSPHRASE",
    "DRIFTLESS_WEBHOOK_SECRET",
    "DRIFTLESS_SLACK_WEBHOOK_URL",
}


def walk(node, path=()):
    """Every (path, string) leaf of a parsed object."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))
    elif isinstance(node, str):
        yield path, node


def test_no_secret_object_is_rendered(value_set, render):
    _, values = value_set
    r = render(values)
    assert r.of_kind("Secret") == []
    assert "kind: Secret" not in r.text


@pytest.mark.parametrize(
    "inline",
    [
        {"git": {"token": "ghp_zqInlineTokenValue0000"}},
        {"git": {"password": "zq-inline-password"}},
        {"git": {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}},
        {"webhook": {"secret": "zq-inline-webhook-secret"}},
        {"admin": {"token": "zq-inline-admin-token"}},
    ],
)
def test_secret_values_cannot_be_inlined(chart, inline):
    # There is no value that takes a secret itself: the schema refuses one, naming it.
    (section, fields), = inline.items()
    (key, _), = fields.items()
    with pytest.raises(helm.HelmValuesError) as err:
        chart.render(base(**inline), name="driftless", namespace="ops")
    assert f"'{key}' not allowed" in str(err.value)
    assert f"/{section}" in str(err.value)


def test_secret_names_appear_only_as_references(render):
    # Every string of the output that names one of the Secrets is in a reference
    # position: a secret volume's secretName, or a secretKeyRef's name.
    r = render(FULL)
    places = []
    for obj in r.objects:
        for path, text in walk(obj):
            if any(s in text for s in (GIT_SECRET, WEBHOOK_SECRET, ADMIN_SECRET)):
                places.append((obj["kind"], path[-2:], text))
    assert places, "the full value set names three Secrets"
    for kind, tail, text in places:
        assert kind == "StatefulSet"
        assert tail[-1] in ("secretName", "name"), (tail, text)
        if tail[-1] == "name":
            assert tail[-2] == "secretKeyRef", (tail, text)
    # The notes name the webhook Secret (so the user knows where the value is), not a value.
    assert WEBHOOK_SECRET in r.notes


def test_no_literal_secret_in_env(value_set, render):
    _, values = value_set
    for name, var in render(values).env.items():
        if name in SECRET_VALUED:
            assert "value" not in var, var
            assert set(var["valueFrom"]) == {"secretKeyRef"}, var


def test_https_token_is_a_mounted_file(render):
    r = render(FULL)
    vol = r.volume("git-credentials")
    assert vol["secret"]["secretName"] == GIT_SECRET
    assert vol["secret"]["items"] == [{"key": "token", "path": "token"}]
    assert vol["secret"]["defaultMode"] == 0o440
    mount = r.mount("git-credentials")
    assert mount == {"name": "git-credentials", "mountPath": "/etc/driftless/git", "readOnly": True}
    assert r.env["DRIFTLESS_GIT_TOKEN_FILE"] == {
        "name": "DRIFTLESS_GIT_TOKEN_FILE",
        "value": "/etc/driftless/git/token",
    }
    assert r.env["DRIFTLESS_GIT_USERNAME"]["value"] == "driftless-bot"
    # https needs no ssh variables.
    assert not {"DRIFTLESS_GIT_SSH_KEY", "DRIFTLESS_GIT_KNOWN_HOSTS"} & set(r.env)


def test_custom_keys(render):
    r = render(base(git={"credentialsSecretName": "gh", "tokenKey": "pat"}))
    assert r.volume("git-credentials")["secret"]["items"] == [{"key": "pat", "path": "pat"}]
    assert r.env["DRIFTLESS_GIT_TOKEN_FILE"]["value"] == "/etc/driftless/git/pat"


@pytest.mark.parametrize("url", [SSH_URL, "ssh://git@git.example.com:2222/ops.git"])
def test_ssh_key_and_known_hosts_are_mounted_files(render, url):
    values = base(
        source={"url": url},
        git={"credentialsSecretName": GIT_SECRET, "sshKeyPassphraseKey": "passphrase"},
    )
    r = render(values)
    vol = r.volume("git-credentials")
    assert vol["secret"]["secretName"] == GIT_SECRET
    assert vol["secret"]["items"] == [
        {"key": "ssh-privatekey", "path": "ssh-privatekey"},
        {"key": "known_hosts", "path": "known_hosts"},
    ]
    assert r.mount("git-credentials")["readOnly"] is True
    assert r.env["DRIFTLESS_GIT_SSH_KEY"]["value"] == "/etc/driftless/git/ssh-privatekey"
    assert r.env["DRIFTLESS_GIT_KNOWN_HOSTS"]["value"] == "/etc/driftless/git/known_hosts"
    assert r.env["DRIFTLESS_GIT_SSH_KEY_PASSPHRASE"]["valueFrom"] == {
        "secretKeyRef": {"name": GIT_SECRET, "key": "passphrase"}
    }
    assert "DRIFTLESS_GIT_TOKEN_FILE" not in r.env


def test_ssh_without_known_hosts_is_warned_about(render):
    r = render(base(source={"url": SSH_URL}, git={"credentialsSecretName": GIT_SECRET, "knownHostsKey": ""}))
    assert "DRIFTLESS_GIT_KNOWN_HOSTS" not in r.env
    assert r.volume("git-credentials")["secret"]["items"] == [{"key": "ssh-privatekey", "path": "ssh-privatekey"}]
    assert "WARNING" in r.notes and "knownHostsKey" in r.notes
    r = render(base(source={"url": SSH_URL}))
    assert "WARNING" in r.notes and "credentialsSecretName" in r.notes
    assert "WARNING" not in render(VALUE_SETS["ssh"]).notes


def test_no_credentials_no_mount(render):
    for values in (base(), base(source={"url": "file:///srv/ops.git"}, git={"credentialsSecretName": GIT_SECRET})):
        r = render(values)
        assert not any(v["name"] == "git-credentials" for v in r.pod["volumes"])
        assert not any(n.startswith("DRIFTLESS_GIT_") for n in r.env)


def test_webhook_and_admin_secrets_are_files(render):
    r = render(FULL)
    assert r.flag("--webhook-secret-file") == "/etc/driftless/webhook/secret"
    assert r.volume("webhook-secret")["secret"] == {
        "secretName": WEBHOOK_SECRET,
        "defaultMode": 0o440,
        "items": [{"key": "secret", "path": "secret"}],
    }
    assert r.mount("webhook-secret") == {
        "name": "webhook-secret",
        "mountPath": "/etc/driftless/webhook",
        "readOnly": True,
    }
    assert r.flag("--admin-token-file") == "/etc/driftless/admin/token"
    assert r.volume("admin-token")["secret"]["secretName"] == ADMIN_SECRET
    assert r.volume("admin-token")["secret"]["items"] == [{"key": "token", "path": "token"}]
    assert r.mount("admin-token")["mountPath"] == "/etc/driftless/admin"
    assert r.mount("admin-token")["readOnly"] is True

    r = render(base(webhook={"secretName": "hook", "secretKey": "hmac"}))
    assert r.flag("--webhook-secret-file") == "/etc/driftless/webhook/hmac"
    assert r.volume("webhook-secret")["secret"]["items"] == [{"key": "hmac", "path": "hmac"}]
    assert "--admin-token-file" not in r.args


def test_no_secret_flags_or_volumes_by_default(render):
    r = render(base())
    assert "--webhook-secret-file" not in r.args
    assert "--admin-token-file" not in r.args
    assert not any("secret" in v for v in r.pod["volumes"])
    assert "Webhooks are off" in r.notes
