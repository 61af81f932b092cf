"""Webhook addresses cannot turn Jiedao into a door to the office's own network (SSRF).

A partner chooses the URL our server POSTs to. These tests protect the rule that only public
addresses are called, at registration (the API, `jiedao token create`, the admin) and again at
each delivery on the very address connected to; that redirects are not followed; and that the
administrator's JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS is the only way round it.
"""

import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from jiedao.api import webhooks
from jiedao.api.models import ApiToken, DeliveryState, WebhookDelivery
from jiedao.api.services import webhook_register
from jiedao.lib import netguard
from jiedao.lib.errors import ValidationFailed
from tests.api.conftest import submit
from tests.api.test_webhooks import later
from tests.conftest import sign_in

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: host name → addresses (a partner's DNS, which can change)."""
    answers: dict[str, list[str]] = {}

    def resolve(host, port):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        found = []
        for text in answers[host]:
            address = ipaddress.ip_address(text)
            found.append((socket.AF_INET6 if address.version == 6 else socket.AF_INET, address))
        return found

    monkeypatch.setattr(netguard, "resolve", resolve)
    return answers


def register(client, issued, url):
    return client.put("/api/v1/webhook", json.dumps({"url": url}), content_type="application/json", **issued.headers)


# The address rule itself.

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "0.0.0.0": "unspecified",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "100.100.100.200": "private",  # Alibaba Cloud's metadata service (shared address space)
    "169.254.169.254": "link_local",  # AWS/Azure/GCP/Tencent metadata service
    "fe80::1": "link_local",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "fc00::1": "unique_local",
    "fd00:ec2::254": "unique_local",  # AWS's IPv6 metadata service
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped forms reach the IPv4 address
    "::ffff:169.254.169.254": "link_local",
    "::ffff:10.0.0.1": "private",
    "::127.0.0.1": "loopback",  # deprecated IPv4-compatible form
    "64:ff9b::a9fe:a9fe": "link_local",  # NAT64 translation of 169.254.169.254
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "2001:db8::1": "private",  # documentation (Python counts it among the private blocks)
}


@pytest.mark.parametrize("address, reason", REFUSED.items())
def test_internal_and_special_addresses_are_refused(address, reason):
    with pytest.raises(netguard.AddressRefused) as refused:
        netguard.address_check(address)
    assert refused.value.reason == reason


@pytest.mark.parametrize("address", ["114.114.114.114", "8.8.8.8", PUBLIC, "2400:3200::1", "::ffff:8.8.8.8"])
def test_public_addresses_are_accepted(address):
    assert netguard.address_check(address) == ipaddress.ip_address(address)


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/", "http://[::ffff:7f00:1]/"])
def test_numeric_spellings_of_loopback_are_caught_after_resolution(url):
    # The system resolver turns these spellings into 127.0.0.1; the check looks at what it returns.
    with pytest.raises(netguard.AddressRefused) as refused:
        netguard.url_check(url)
    assert refused.value.reason == "loopback"


def test_an_allowed_network_is_the_only_exception():
    intranet = netguard.parse_networks("10.20.0.0/16")
    assert netguard.address_check("10.20.3.4", allowed=intranet)
    assert netguard.address_check("::ffff:10.20.3.4", allowed=intranet)
    with pytest.raises(netguard.AddressRefused):
        netguard.address_check("10.21.0.1", allowed=intranet)
    with pytest.raises(netguard.AddressRefused):
        netguard.address_check("169.254.169.254", allowed=intranet)


# Registration.


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "http://[::1]:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.5/admin",
        "http://192.168.1.1/",
        "http://localhost:8000/hook",
    ],
)
def test_registering_an_internal_address_is_refused_with_a_clear_message(client, partner, url):
    response = register(client, partner, url)
    assert response.status_code == 422
    body = json.loads(response.content)
    assert "不能作为通知地址" in body["errors"]["url"][0]
    partner.token.refresh_from_db()
    assert partner.token.webhook_url == ""


@pytest.mark.parametrize("url", ["ftp://partner.example.cn/hook", "file:///etc/passwd", "gopher://partner.example.cn/", "//partner.example.cn/hook"])
def test_registering_a_non_http_scheme_is_refused(client, partner, url):
    response = register(client, partner, url)
    assert response.status_code == 422
    assert "http://" in json.loads(response.content)["errors"]["url"][0]


def test_registering_a_name_that_resolves_inside_is_refused(client, partner, dns):
    dns["hooks.partner.example.cn"] = ["10.1.2.3"]
    assert register(client, partner, "https://hooks.partner.example.cn/jiedao").status_code == 422


def test_one_internal_answer_among_public_ones_is_enough_to_refuse(client, partner, dns):
    dns["hooks.partner.example.cn"] = [PUBLIC, "127.0.0.1"]
    assert register(client, partner, "https://hooks.partner.example.cn/jiedao").status_code == 422


def test_a_public_name_is_accepted_and_so_is_one_not_resolving_yet(client, partner, dns):
    dns["hooks.partner.example.cn"] = [PUBLIC]
    assert register(client, partner, "https://hooks.partner.example.cn/jiedao").status_code == 200
    # DNS not live yet: accepted now, and every delivery resolves and checks it again.
    assert register(client, partner, "https://new-hooks.partner.example.cn/jiedao").status_code == 200


def test_the_intranet_partner_is_accepted_only_through_the_setting(client, partner, settings):
    assert register(client, partner, "http://10.20.3.4/hook").status_code == 422
    settings.JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["10.20.0.0/16"]
    assert register(client, partner, "http://10.20.3.4/hook").status_code == 200


def test_the_token_command_refuses_an_internal_webhook_address(programme):
    with pytest.raises(CommandError, match="不能作为通知地址"):
        call_command("token", "create", "--name", "neiwang", "--role", "partner", "--webhook-url", "http://169.254.169.254/")
    assert not ApiToken.objects.filter(name="neiwang").exists()


def test_the_admin_refuses_an_internal_webhook_address(client, partner):
    from django.contrib.auth import get_user_model

    sign_in(client, get_user_model().objects.create_superuser("root", password=None))
    response = client.post(
        f"/admin/api/apitoken/{partner.token.pk}/change/",
        {"revoked_at_0": "", "revoked_at_1": "", "webhook_url": "http://127.0.0.1:6379/"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "不能作为通知地址" in response.content.decode()
    partner.token.refresh_from_db()
    assert partner.token.webhook_url == ""


# Delivery.


def test_dns_changed_to_an_internal_address_after_registration_is_not_called(client, partner, receiver, programme, dns, settings):
    # The partner registers a name that resolves publicly, then points it at our own machine.
    dns["hooks.partner.example.cn"] = [PUBLIC]
    webhook_register(partner.token, url=f"http://hooks.partner.example.cn:{receiver.port}/hooks/jiedao")
    submit(client, partner, programme)
    dns["hooks.partner.example.cn"] = ["127.0.0.1"]
    assert webhooks.drain(now=later(1)) == {"webhook_retry": 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.QUEUED and "address refused" in delivery.last_error
    assert receiver.requests == []


def test_an_internal_address_stored_before_the_rule_is_not_called(client, partner, receiver, programme):
    ApiToken.objects.filter(pk=partner.token.pk).update(webhook_url=receiver.url, webhook_secret="s" * 64)
    submit(client, partner, programme)
    assert webhooks.drain(now=later(1)) == {"webhook_retry": 1}
    assert "loopback" in WebhookDelivery.objects.get().last_error
    assert receiver.requests == []


def test_delivery_connects_to_the_checked_address_and_keeps_the_host_name(client, partner, receiver, programme, dns, settings):
    # An intranet partner allowed by the setting; the name resolves to the allowed address, and
    # the request goes there with the partner's host name (virtual hosts, TLS certificates).
    settings.JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    dns["hooks.intranet.example.cn"] = ["127.0.0.1"]
    webhook_register(partner.token, url=f"http://hooks.intranet.example.cn:{receiver.port}/hooks/jiedao?v=1")
    submit(client, partner, programme)
    assert webhooks.drain(now=later(1)) == {"webhook_sent": 1}
    [request] = receiver.requests
    assert request["path"] == "/hooks/jiedao?v=1"
    assert request["headers"]["Host"] == f"hooks.intranet.example.cn:{receiver.port}"


class Redirector:
    """Answers every POST with a 307 to ``target`` and counts the requests."""

    def __init__(self, target: str):
        self.hits = 0
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                redirector.hits += 1
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_followed(client, partner, receiver, programme, settings):
    # Even from an allowed receiver, a redirect could point anywhere: it counts as a failure.
    settings.JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    redirector = Redirector(target=receiver.url)
    try:
        webhook_register(partner.token, url=redirector.url)
        submit(client, partner, programme)
        assert webhooks.drain(now=later(1)) == {"webhook_retry": 1}
        assert redirector.hits == 1
        assert WebhookDelivery.objects.get().last_error == "HTTP 307"
        assert receiver.requests == []
    finally:
        redirector.stop()


def test_registration_refusal_is_a_validation_error_for_services(partner):
    with pytest.raises(ValidationFailed) as failed:
        webhook_register(partner.token, url="http://169.254.169.254/")
    assert "169.254.169.254" in failed.value.errors["url"][0]
