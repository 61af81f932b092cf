"""Staff sign-in (issue 7): two factors, the lockout, the life of a staff session, disabling an
account, password rules and the demo's codes."""

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiedao.core import staff_auth
from jiedao.core.models import AuditAction, AuditEntry, Role, StaffProfile, StaffSession
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Several sign-ins per test; the production hasher's cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username="reviewer", *, device=True, superuser=False):
    user = get_user_model().objects.create_user(
        username, password=PASSWORD, is_staff=True, is_superuser=superuser, first_name=username
    )
    StaffProfile.objects.create(user=user, role=Role.ADMIN if superuser else Role.REVIEWER)
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def code_of(device, *, steps_ago=0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() - steps_ago * device.step
    return str(totp.token()).zfill(device.digits)


def password_step(client, username="reviewer", password=PASSWORD, **extra):
    return client.post("/staff/login/", {"username": username, "password": password}, **extra)


def both_steps(client, user, **extra):
    password_step(client, user.username, **extra)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return client.post("/staff/login/code/", {"code": code_of(device), "next": "/staff/"}, **extra)


# --- two factors ----------------------------------------------------------------------------------


def test_a_password_alone_does_not_open_the_back_office(client, programme):
    make_user()
    response = password_step(client)
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/code/")
    queue = client.get("/staff/")
    assert queue.status_code == 302 and queue["Location"].startswith("/staff/login/code/?next=")
    # Every staff page, in every language, however its view is decorated.
    for path in ("/en/staff/dashboard/", "/staff/export/applications.xlsx", "/staff/notices/failed/"):
        assert client.get(path)["Location"].startswith(("/staff/login/code/", "/en/staff/login/code/")), path


def test_password_and_current_code_open_the_back_office(client, programme):
    user = make_user()
    response = both_steps(client, user)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_code_already_used_is_refused(programme):
    user = make_user()
    device = TOTPDevice.objects.get(user=user)
    code = code_of(device)
    first, second = Client(), Client()
    password_step(first)
    assert first.post("/staff/login/code/", {"code": code})["Location"] == "/staff/"
    # Someone who saw the code (over a shoulder, in a phishing page) tries it in the same 30 s.
    password_step(second)
    replay = second.post("/staff/login/code/", {"code": code})
    assert replay.status_code == 200 and "验证码不对，或已经用过" in replay.content.decode()
    assert second.get("/staff/").status_code == 302
    # An older code than the last one used is refused too, although it is within the drift window.
    assert not TOTPDevice.objects.get(pk=device.pk).verify_token(code_of(device, steps_ago=1))


def test_the_admin_needs_the_second_factor_too(client, programme):
    make_user("admin", superuser=True)
    # The admin's own password-only form is replaced by the staff sign-in.
    login = client.get("/admin/login/?next=/admin/core/auditentry/")
    assert login["Location"].startswith("/staff/login/?next=%2Fadmin%2Fcore%2Fauditentry%2F")
    password_step(client, "admin")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/code/")
    device = TOTPDevice.objects.get(user__username="admin")
    client.post("/staff/login/code/", {"code": code_of(device)})
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_device_enrol_with_a_qr_code_and_a_first_code(client, programme):
    user = make_user(device=False)
    password_step(client)
    assert client.get("/staff/login/code/")["Location"].startswith("/staff/login/enrol/")
    page = client.get("/staff/login/enrol/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert "<svg" in html and "<path" in html and "http" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # drawn here, no image service
    assert staff_auth.device_key_text(device) in html
    # Reloading the page keeps the same key, so the code from an app that already scanned it works.
    client.get("/staff/login/enrol/")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    wrong = client.post("/staff/login/enrol/", {"code": "000000" if code_of(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    time.sleep(1.1)  # the device makes the user wait a second after a wrong code
    done = client.post("/staff/login/enrol/", {"code": code_of(device), "next": "/staff/"})
    assert done["Location"] == "/staff/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/staff/").status_code == 200


def test_the_device_makes_a_guesser_wait_after_wrong_codes(settings, programme):
    assert settings.OTP_TOTP_THROTTLE_FACTOR >= 1
    device = TOTPDevice.objects.get(user=make_user())
    for wrong in ("000001", "000002", "000003"):
        device.verify_token(wrong)
    # Three wrong codes: the next check waits 4 seconds, even for the right code, from any address.
    assert not device.verify_token(code_of(device))
    assert device.verify_is_allowed()[0] is False


def test_an_administrator_can_reset_a_colleagues_device(programme):
    user = make_user()
    admin = make_user("admin", superuser=True)
    colleague, admin_client = Client(), Client()
    both_steps(colleague, user)
    sign_in(admin_client, admin)
    response = admin_client.post(
        "/admin/auth/user/", {"action": "reset_otp_devices", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert colleague.get("/staff/").status_code == 302  # signed out everywhere
    entry = AuditEntry.objects.get(action=AuditAction.RESET_OTP_DEVICE)
    assert entry.actor == admin and entry.detail["username"] == "reviewer"
    # At the next sign-in they enrol their new phone.
    password_step(colleague)
    assert colleague.get("/staff/login/code/")["Location"].startswith("/staff/login/enrol/")


def test_the_reset_command_works_for_an_administrator_locked_out_of_the_admin(programme):
    user = make_user("admin", superuser=True)
    call_command("staff_reset_device", "admin")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.get(action=AuditAction.RESET_OTP_DEVICE).actor is None
    with pytest.raises(CommandError):
        call_command("staff_reset_device", "nobody")


# --- lockout ------------------------------------------------------------------------------------------


def fail_passwords(client, username="reviewer", times=5, **extra):
    for _attempt in range(times):
        response = password_step(client, username, "wrong password", **extra)
    return response


def test_repeated_wrong_passwords_lock_that_username_at_that_address(client, settings, programme):
    make_user()
    assert settings.AXES_FAILURE_LIMIT == 5
    fail_passwords(client)
    # Now even the right password is refused, with a page that says why and for how long.
    locked = password_step(client)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "暂时不能登录" in html and "15 分钟" in html
    assert client.get("/staff/").status_code == 302


def test_a_lockout_leaves_colleagues_behind_the_same_office_address_alone(programme):
    make_user()
    user = make_user("worker")
    fail_passwords(Client(), REMOTE_ADDR="10.0.0.1")
    colleague = Client()
    assert both_steps(colleague, user, REMOTE_ADDR="10.0.0.1")["Location"] == "/staff/"


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(programme):
    user = make_user()
    fail_passwords(Client(), REMOTE_ADDR="203.0.113.9")
    assert both_steps(Client(), user, REMOTE_ADDR="10.0.0.1")["Location"] == "/staff/"


def test_the_lockout_ends_after_the_cool_off(client, programme):
    user = make_user()
    fail_passwords(client)
    assert password_step(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16))
    assert both_steps(client, user)["Location"] == "/staff/"


def test_wrong_codes_count_towards_the_lockout(client, programme):
    make_user()
    password_step(client)
    for attempt in range(5):
        response = client.post("/staff/login/code/", {"code": f"99999{attempt}"})
    assert response.status_code == 429 and "暂时不能登录" in response.content.decode()
    # The half-signed-in session is over, and the password alone no longer gets back in.
    assert client.get("/staff/login/code/")["Location"].startswith("/staff/login/")
    assert password_step(client).status_code == 429


def test_a_full_sign_in_clears_earlier_mistakes(client, programme):
    user = make_user()
    fail_passwords(client, times=4)
    both_steps(client, user)
    assert not AccessAttempt.objects.exists()


def test_forwarded_for_is_believed_only_from_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 0
    assert staff_auth.client_ip_address(request) == "10.0.0.2"  # anyone can write the header
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 1
    # The proxy appended what it saw; "1.2.3.4" was written by the client and is ignored.
    assert staff_auth.client_ip_address(request) == "198.51.100.7"
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 2
    assert staff_auth.client_ip_address(request) == "1.2.3.4"
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 3  # header shorter than the proxies configured
    assert staff_auth.client_ip_address(request) == "10.0.0.2"
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 1
    assert staff_auth.client_ip_address(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="junk")) == "10.0.0.2"


def test_behind_the_proxy_the_lockout_sees_each_client_separately(settings, programme):
    settings.JIEDAO_TRUSTED_PROXY_COUNT = 1
    user = make_user()
    fail_passwords(Client(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    through_proxy = both_steps(Client(), user, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert through_proxy["Location"] == "/staff/"


# --- sessions -------------------------------------------------------------------------------------------


def test_signing_in_gives_the_session_a_new_id(client, programme):
    user = make_user()
    client.get("/")  # a session from before signing in (planted, or a resident's draft)
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    both_steps(client, user)
    after = client.cookies["sessionid"].value
    assert after != before and not SessionStore().exists(before)
    assert StaffSession.objects.get(user=user).session_key == after


def test_signing_out_ends_the_session_on_the_server(client, programme):
    user = make_user()
    both_steps(client, user)
    old_cookie = client.cookies["sessionid"].value
    client.post("/staff/logout/")
    assert not SessionStore().exists(old_cookie)
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert replay.get("/staff/").status_code == 302
    assert not StaffSession.objects.filter(session_key=old_cookie).exists()


def shift_clocks(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_a_staff_session_ends_after_30_minutes_without_use(client, programme):
    user = make_user()
    sign_in(client, user)
    key = client.session.session_key
    shift_clocks(client, staff_last_seen=31 * 60)
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[0][0].startswith("/staff/login/?next=")
    assert "超过 30 分钟没有操作" in response.content.decode()
    assert not SessionStore().exists(key)


def test_a_staff_session_in_use_carries_on(client, programme):
    user = make_user()
    sign_in(client, user)
    shift_clocks(client, staff_last_seen=29 * 60)
    assert client.get("/staff/").status_code == 200
    assert time.time() - client.session["staff_last_seen"] < 60  # the idle clock starts again


def test_a_staff_session_ends_12_hours_after_sign_in_however_busy(client, programme):
    user = make_user()
    sign_in(client, user)
    shift_clocks(client, staff_signed_in_at=12 * 3600 + 1, staff_last_seen=10)
    response = client.get("/staff/", follow=True)
    assert "连续登录超过 12 小时" in response.content.decode()
    assert client.get("/staff/").status_code == 302


def test_a_residents_unfinished_application_keeps_its_three_day_session(client, settings, programme):
    client.get("/")
    session = client.session
    session["draft"] = "answers so far"
    session.save()
    client.get("/")
    session = SessionStore(client.session.session_key)
    assert session["draft"] == "answers so far"
    assert session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 3 * 24 * 3600
    assert "staff_last_seen" not in session


def test_disabling_an_account_ends_every_one_of_its_sessions(programme):
    user = make_user()
    admin = make_user("admin", superuser=True)
    office, phone = Client(), Client()
    both_steps(office, user)
    sign_in(phone, user)
    keys = [office.cookies["sessionid"].value, phone.cookies["sessionid"].value]
    assert staff_auth.staff_disable(user=user, by=admin) == 2
    assert not any(SessionStore().exists(key) for key in keys)
    entry = AuditEntry.objects.get(action=AuditAction.DISABLE_STAFF)
    assert entry.actor == admin and entry.detail == {"username": "reviewer", "sessions_ended": 2}
    # Enabled again later, the account does not get its old (perhaps stolen) sessions back.
    user.is_active = True
    user.save()
    assert office.get("/staff/").status_code == 302 and phone.get("/staff/").status_code == 302


def test_unticking_active_in_the_admin_ends_the_accounts_sessions(programme):
    user = make_user()
    admin = make_user("admin", superuser=True)
    colleague, admin_client = Client(), Client()
    both_steps(colleague, user)
    sign_in(admin_client, admin)
    form = admin_client.get(f"/admin/auth/user/{user.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "is_staff": "on",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "staff_profile-TOTAL_FORMS": "1",
            "staff_profile-INITIAL_FORMS": "1",
            "staff_profile-0-id": str(user.staff_profile.pk),
            "staff_profile-0-user": str(user.pk),
            "staff_profile-0-role": "reviewer",
        }
    )
    data.pop("last_login", None)
    data["groups"], data["user_permissions"] = [], []
    response = admin_client.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not get_user_model().objects.get(pk=user.pk).is_active
    assert not StaffSession.objects.filter(user=user).exists()
    assert colleague.get("/staff/").status_code == 302


def test_the_disable_action_in_the_admin_ends_the_accounts_sessions(programme):
    user = make_user()
    admin = make_user("admin", superuser=True)
    colleague, admin_client = Client(), Client()
    both_steps(colleague, user)
    sign_in(admin_client, admin)
    admin_client.post("/admin/auth/user/", {"action": "disable_accounts", "_selected_action": [user.pk, admin.pk]})
    assert not get_user_model().objects.get(pk=user.pk).is_active
    assert get_user_model().objects.get(pk=admin.pk).is_active  # an administrator cannot lock themselves out
    assert colleague.get("/staff/").status_code == 302


# --- passwords ---------------------------------------------------------------------------------------


def test_short_passwords_are_refused():
    with pytest.raises(ValidationError) as error:
        validate_password("Xq7#kd2!")
    assert "password_too_short" in [e.code for e in error.value.error_list]


def test_common_passwords_are_refused_however_long():
    with pytest.raises(ValidationError) as error:
        validate_password("password123456")
    assert "password_too_common" in [e.code for e in error.value.error_list]


def test_a_long_passphrase_needs_no_symbols_or_capitals():
    validate_password("zhijiang west road lane seven")  # no exception: length over composition


def test_offices_that_insist_can_require_character_classes():
    validator = staff_auth.CharacterClassesValidator(classes=3)
    with pytest.raises(ValidationError):
        validator.validate("zhijiang west road lane seven")
    validator.validate("Zhijiang West Road 7")


# --- the demo ---------------------------------------------------------------------------------------------


def test_demo_accounts_get_one_device_however_often_the_demo_is_loaded(settings, tmp_path, programme):
    from jiedao.ops.demo import STAFF, load_staff

    settings.DATA_DIR = tmp_path
    load_staff()
    load_staff()
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(STAFF)


def test_the_demo_code_command_prints_a_code_that_signs_in(settings, tmp_path, client, capsys, programme):
    from jiedao.ops.demo import load_staff

    settings.DATA_DIR = tmp_path
    logins = load_staff()
    call_command("demo", "logins")
    assert "jiedao demo code" in capsys.readouterr().out
    call_command("demo", "code", "reviewer")
    code = capsys.readouterr().out.split("（")[0].strip()
    password_step(client, "reviewer", logins["reviewer"])
    assert client.post("/staff/login/code/", {"code": code})["Location"] == "/staff/"


def test_demo_codes_are_refused_in_production(settings, tmp_path, programme):
    from jiedao.ops.demo import load_staff

    settings.DATA_DIR = tmp_path
    load_staff()
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("demo", "code", "reviewer")
