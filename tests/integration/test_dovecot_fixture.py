"""The Dovecot and fault-proxy fixtures behave as the collection tests rely on."""

from __future__ import annotations

import contextlib
import imaplib
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped, unused-ignore]
from imapclient.exceptions import LoginError  # type: ignore[import-untyped, unused-ignore]

from tests.integration.conftest import wait_for
from tests.integration.dovecot import Dovecot, DovecotError, FaultProxy, require_dovecot_23

MakeProxy = Callable[[str, int], FaultProxy]
# What a client sees when the connection dies under it: a socket error or imaplib's abort.
CONNECTION_LOST = (OSError, IMAPClient.AbortError)


def message(i: int, body: str = "", *, size: int = 0) -> bytes:
    """A CRLF message with a unique Message-ID; `size` pads the body to about that many bytes."""
    head = (
        f"From: Sender {i} <sender{i}@example.test>\r\n"
        "To: archive@example.test\r\n"
        f"Subject: test message {i}\r\n"
        f"Message-ID: <{i}.{os.urandom(6).hex()}@example.test>\r\n"
        "Date: Mon, 02 Jan 2023 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
    )
    text = body or f"Body of message {i}.\r\n"
    line = "x" * 76 + "\r\n"
    padding = line * max(0, (size - len(head) - len(text)) // len(line))
    return (head + text + padding).encode()


# -- Dovecot --------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_thousand_messages_append_count_and_fetch_back(dovecot: Dovecot, imap_user: str) -> None:
    messages = [message(i) for i in range(1000)]
    started = time.perf_counter()
    dovecot.append(imap_user, "INBOX", messages)
    appended = time.perf_counter() - started
    assert dovecot.count(imap_user, "INBOX") == 1000
    fetched = dovecot.messages(imap_user, "INBOX")
    elapsed = time.perf_counter() - started
    assert fetched == messages  # same bytes, in UID (= append) order
    print(f"append 1000: {appended:.2f} s; append+count+fetch: {elapsed:.2f} s")


def test_fetched_bytes_equal_appended_bytes(dovecot: Dovecot, imap_user: str) -> None:
    messages = [
        message(1, "Grüße aus Köln — naïve café, 日本語.\r\n"),
        message(2, "x" * 998 + "\r\n" + "trailing spaces   \r\n\r\n\r\n"),
        message(3, "no final line break"),
        message(4, size=300_000),
        message(5, "".join(chr(c) for c in range(32, 127)) + "\r\n.\r\n..\r\nFrom me\r\n"),
    ]
    dovecot.append(imap_user, "Records/2023", messages)
    assert dovecot.count(imap_user, "Records/2023") == 5
    assert dovecot.messages(imap_user, "Records/2023") == messages
    assert dovecot.count(imap_user, "Missing") == 0
    with dovecot.client(imap_user) as imap:  # BODY.PEEK[] did not mark anything read
        imap.select_folder("Records/2023", readonly=True)
        assert imap.search("UNSEEN") == imap.search("ALL")


def test_move_and_uid_expunge_are_supported(dovecot: Dovecot, imap_user: str) -> None:
    messages = [message(i) for i in range(3)]
    dovecot.append(imap_user, "INBOX", messages)
    with dovecot.client(imap_user) as imap:
        assert imap.has_capability("MOVE") and imap.has_capability("UIDPLUS")
        imap.create_folder("Archived")
        imap.select_folder("INBOX")
        uids = sorted(imap.search("ALL"))
        imap.move([uids[0]], "Archived")
        imap.add_flags([uids[1]], [b"\\Deleted"])
        imap.uid_expunge([uids[1]])
    assert dovecot.messages(imap_user, "Archived") == [messages[0]]
    assert dovecot.messages(imap_user, "INBOX") == [messages[2]]


def test_recreate_folder_changes_uidvalidity(dovecot: Dovecot, imap_user: str) -> None:
    dovecot.append(imap_user, "Work", [message(1), message(2)])
    before = dovecot.uidvalidity(imap_user, "Work")
    dovecot.recreate_folder(imap_user, "Work")
    assert dovecot.count(imap_user, "Work") == 0
    assert dovecot.uidvalidity(imap_user, "Work") != before
    dovecot.recreate_folder(imap_user, "NotThereYet")  # a missing folder is just created
    assert dovecot.count(imap_user, "NotThereYet") == 0


def test_new_users_are_distinct_and_start_empty(dovecot: Dovecot) -> None:
    first, second = dovecot.new_user(), dovecot.new_user()
    assert first != second
    dovecot.append(first, "INBOX", [message(1)])
    assert dovecot.count(second, "INBOX") == 0


def test_wrong_password_is_refused(dovecot: Dovecot, imap_user: str) -> None:
    imap = dovecot.connect()
    try:
        with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
            imap.login(imap_user, dovecot.password + "-wrong")
        imap.login(imap_user, dovecot.password)  # same connection, right password
    finally:
        imap.logout()


def test_xoauth2_and_oauthbearer_accept_issued_tokens_only(
    dovecot: Dovecot, imap_user: str
) -> None:
    token = dovecot.issue_token(imap_user)

    def login(method: str, user: str, secret: str) -> bool:
        imap = dovecot.connect()
        try:
            if method == "XOAUTH2":
                imap.oauth2_login(user, secret)
            else:
                imap.oauthbearer_login(user, secret)
            imap.select_folder("INBOX")
            return True
        except LoginError:
            return False
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                imap.shutdown()

    for method in ("XOAUTH2", "OAUTHBEARER"):
        assert login(method, imap_user, token), dovecot.log_tail(5)
        assert not login(method, imap_user, "bogus-token")
    assert not login("XOAUTH2", dovecot.new_user(), token)  # someone else's token
    assert not login("XOAUTH2", imap_user, dovecot.password)  # the password is no token
    dovecot.revoke_token(token)
    assert not login("OAUTHBEARER", imap_user, token)


@pytest.mark.timeout(60)
def test_stop_refuses_connections_and_start_keeps_the_mail(
    dovecot: Dovecot, imap_user: str
) -> None:
    messages = [message(1), message(2)]
    dovecot.append(imap_user, "INBOX", messages)
    port = dovecot.port
    try:
        started = time.perf_counter()
        dovecot.stop()
        stopped = time.perf_counter() - started
        with pytest.raises(ConnectionRefusedError):
            dovecot.connect()
        with socket.create_server((dovecot.host, port)):  # someone took the port meanwhile
            with pytest.raises(DovecotError, match="Address already in use") as failed:
                dovecot.start()
            assert "dovecot.log" in str(failed.value)  # the log tail comes with the error
    finally:
        started = time.perf_counter()
        dovecot.start()
        restarted = time.perf_counter() - started
    print(f"stop: {stopped:.2f} s; start: {restarted:.2f} s")
    assert dovecot.port == port
    assert dovecot.messages(imap_user, "INBOX") == messages
    assert dovecot.issue_token(imap_user)  # the introspection endpoint survived too


def test_missing_binary_or_wrong_version_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(DovecotError, match="apt-get install dovecot-imapd"):
        Dovecot.launch(tmp_path, binary=tmp_path / "no-dovecot")
    with pytest.raises(DovecotError, match=r"2\.4"):
        require_dovecot_23("2.4.1 (7a0b3f5d7d)")
    require_dovecot_23("2.3.19.1 (9b53102964)")


# -- FaultProxy -----------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_proxy_passes_full_imap_sessions(
    dovecot: Dovecot, imap_user: str, fault_proxy: MakeProxy
) -> None:
    proxy = fault_proxy(dovecot.host, dovecot.port)
    messages = [message(i, size=20_000) for i in range(20)]
    with dovecot.connect(proxy.host, proxy.port) as imap:
        imap.login(imap_user, dovecot.password)
        imap.create_folder("Archived")
        imap.multiappend("INBOX", messages)
        imap.select_folder("INBOX")
        uids = sorted(imap.search("ALL"))
        fetched = imap.fetch(uids, ["BODY.PEEK[]"])
        assert [fetched[uid][b"BODY[]"] for uid in uids] == messages
        imap.move(uids[:5], "Archived")
    assert dovecot.count(imap_user, "Archived") == 5

    errors: list[BaseException] = []

    def session() -> None:
        try:
            with dovecot.connect(proxy.host, proxy.port) as imap:
                imap.login(dovecot.new_user(), dovecot.password)
                imap.select_folder("INBOX")
                imap.noop()
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads), "a session through the proxy hung"
    assert not errors
    assert proxy.accepted == 21
    wait_for(lambda: proxy.open_connections == 0, 10, "the proxy to close its connections")


@pytest.mark.timeout(30)
def test_proxy_passes_arbitrary_bytes_both_ways(fault_proxy: MakeProxy) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:

        def echo() -> None:
            conn, _ = upstream.accept()
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)  # EOF comes back through the proxy too

        server = threading.Thread(target=echo, daemon=True)
        server.start()
        proxy = fault_proxy("127.0.0.1", upstream.getsockname()[1])
        payload = bytes(range(256)) * 4096 + os.urandom(1 << 20)
        with socket.create_connection((proxy.host, proxy.port), timeout=10) as conn:

            def send() -> None:
                conn.sendall(payload)
                conn.shutdown(socket.SHUT_WR)

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            received = bytearray()
            while data := conn.recv(65536):
                received += data
            sender.join(timeout=10)
        server.join(timeout=10)
    assert bytes(received) == payload


@pytest.mark.timeout(30)
def test_cut_after_delivers_exactly_n_bytes_then_resets(fault_proxy: MakeProxy) -> None:
    payload = os.urandom(200_000)
    with socket.create_server(("127.0.0.1", 0)) as upstream:

        def talk() -> None:
            conn, _ = upstream.accept()
            with conn, contextlib.suppress(OSError):
                conn.sendall(payload)
                conn.recv(1)  # until the proxy resets us

        server = threading.Thread(target=talk, daemon=True)
        server.start()
        proxy = fault_proxy("127.0.0.1", upstream.getsockname()[1])
        proxy.cut_after(12_345)
        received = bytearray()
        address = (proxy.host, proxy.port)
        with socket.create_connection(address, timeout=10) as conn, pytest.raises(OSError) as lost:
            while data := conn.recv(65536):
                received += data
        assert isinstance(lost.value, ConnectionResetError), lost.value
        server.join(timeout=10)
    assert bytes(received) == payload[:12_345]
    wait_for(lambda: proxy.open_connections == 0, 10, "the proxy to close its connections")


@pytest.mark.timeout(30)
def test_cut_after_breaks_a_large_fetch_midway_until_healed(
    dovecot: Dovecot, imap_user: str, fault_proxy: MakeProxy
) -> None:
    messages = [message(i, size=128 * 1024) for i in range(8)]
    dovecot.append(imap_user, "INBOX", messages)
    proxy = fault_proxy(dovecot.host, dovecot.port)
    proxy.cut_after(256 * 1024)
    imap = dovecot.connect(proxy.host, proxy.port)
    try:
        imap.login(imap_user, dovecot.password)
        imap.select_folder("INBOX", readonly=True)
        uids = sorted(imap.search("ALL"))
        with pytest.raises(CONNECTION_LOST):
            imap.fetch(uids, ["BODY.PEEK[]"])
    finally:
        imap.shutdown()
    wait_for(lambda: proxy.open_connections == 0, 10, "the proxy to close its connections")

    proxy.heal()
    with dovecot.connect(proxy.host, proxy.port) as imap:
        imap.login(imap_user, dovecot.password)
        imap.select_folder("INBOX", readonly=True)
        fetched = imap.fetch(uids, ["BODY.PEEK[]"])
        assert [fetched[uid][b"BODY[]"] for uid in uids] == messages


@pytest.mark.timeout(30)
def test_refuse_then_resume_on_the_same_port(
    dovecot: Dovecot, imap_user: str, fault_proxy: MakeProxy
) -> None:
    proxy = fault_proxy(dovecot.host, dovecot.port)
    port = proxy.port
    with dovecot.connect(proxy.host, proxy.port) as before:
        before.login(imap_user, dovecot.password)
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((proxy.host, port), timeout=2).close()
        with pytest.raises(ConnectionRefusedError):
            dovecot.connect(proxy.host, port)
        before.noop()  # an open connection carries on
        proxy.drop_connections()
        with pytest.raises(CONNECTION_LOST):
            before.noop()
    proxy.resume()
    assert proxy.port == port
    with dovecot.connect(proxy.host, port) as imap:
        imap.login(imap_user, dovecot.password)
        imap.noop()
