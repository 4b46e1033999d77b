"""`dunning send`: the run's e-mails and SMS handed to a real SMTP server (aiosmtpd on loopback, with
STARTTLS and AUTH, a self-signed certificate made by openssl) and to a loopback HTTP gateway; the
journal records each message once, never twice, also after a kill mid-batch.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.conftest import run_main as run_kit
from tests.test_dunning_daily import B2B, line, plan_of, write_ledger, write_rates

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

PASSWORD = "s3cret-Mot-De-Passe-42"
TOKEN = "jeton-SMS-0123456789abcdef"
USER = "relances@atelier-lyonnais.fr"


# --- A real SMTP server and an SMS gateway on loopback --------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; refuses, delays or hangs on chosen recipients."""

    def __init__(self):
        self.received = []  # (mail_from, rcpt_tos, bytes, authenticated login)
        self.refuse, self.busy, self.hang = set(), {}, set()
        self.hanging = threading.Event()
        self.released = False
        self.logins = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.hang:
            self.hanging.set()
            while not self.released:
                await asyncio.sleep(0.05)
            return "421 4.3.0 shutting down"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                              session.auth_data.login if session.authenticated else None))
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
        auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    """A self-signed certificate for 127.0.0.1 (openssl: .ci/run installs it)."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return folder


@pytest.fixture
def smtp_server(certificate, monkeypatch):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            auth_required=True, authenticator=authenticator)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))  # the client trusts this certificate only
    box.port = port
    try:
        yield box
    finally:
        box.released = True
        controller.stop()


class Gateway(BaseHTTPRequestHandler):
    def do_POST(self):
        state = self.server.state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        state["requests"].append((self.path, dict(self.headers), body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"error": "unauthorized"})
        elif body["to"] in state["refuse"]:
            self._answer(400, {"error": "invalid number"})
        elif state["busy"].get(body["to"], 0) > 0:
            state["busy"][body["to"]] -= 1
            self._answer(503, {"error": "overloaded"})
        else:
            state["sent"].append(body)
            self._answer(200, {"id": f"sms-{len(state['sent'])}", "status": "queued"})

    def _answer(self, status, data):
        raw = json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.state = {"requests": [], "sent": [], "refuse": set(), "busy": {}}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_main(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line, its output with no-break spaces as plain spaces (easier to read in asserts)."""
    result = run_kit(root, *args)
    plain = str.maketrans({"\u00a0": " ", "\u202f": " "})
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.translate(plain),
                                       result.stderr.translate(plain))


def configure(project: Path, smtp_port: int, gateway, monkeypatch, invoices: str | None = None) -> None:
    text = (f"sending:\n"
            f"  email: {{host: 127.0.0.1, port: {smtp_port}, security: starttls, user: {USER}, "
            f"password_env: CGVKIT_SMTP_PASSWORD, from: \"Atelier Lyonnais <{USER}>\", "
            f"reply_to: compta@atelier-lyonnais.fr, bcc: archive@atelier-lyonnais.fr}}\n"
            f"  sms: {{url: \"http://127.0.0.1:{gateway.server_port}/send\", token_env: CGVKIT_SMS_TOKEN, "
            f"sender: ATELIERLYON}}\n")
    if invoices:
        text += f"  invoices_dir: {invoices}\n"
    company = project / B2B
    company.write_text(company.read_text(encoding="utf-8") + text, encoding="utf-8")
    monkeypatch.setenv("CGVKIT_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("CGVKIT_SMS_TOKEN", TOKEN)
    monkeypatch.setenv("CGVKIT_SEND_PAUSE", "0.05")


def propose(project: Path, *rows: str, folder: str = "dist/run", extra=()) -> Path:
    write_rates(project)
    ledger = write_ledger(project, *rows)
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-20", "-o", folder, *extra)
    assert result.returncode == 0, result.stderr
    return project / folder


def messages(project: Path) -> list:
    con = sqlite3.connect(project / "data" / "journal" / "atelier-lyonnais.sqlite")
    try:
        return con.execute("SELECT debtor_id, stage, channel, recipient, state, message_id, answer, finished_at "
                           "FROM messages ORDER BY id").fetchall()
    finally:
        con.close()


def steps(project: Path) -> list:
    con = sqlite3.connect(project / "data" / "journal" / "atelier-lyonnais.sqlite")
    try:
        return con.execute("SELECT debtor_id, invoice_number, stage, channel FROM steps ORDER BY id").fetchall()
    finally:
        con.close()


def everything_written(project: Path, folder: Path) -> bytes:
    found = b""
    for path in [*folder.rglob("*"), *(project / "data" / "journal").glob("*")]:
        if path.is_file():
            found += path.read_bytes()
    return found


D1 = line(due="2026-05-01")  # first reminder by e-mail
D3 = line(debtor="D3", name="Avant Échéance", number="F3", due="2026-05-23", phone="+33 6 98 76 54 32")  # SMS


# --- Tests ------------------------------------------------------------------------------------------------


def test_send_delivers_emails_and_sms_records_them_and_a_second_send_sends_nothing(project, smtp_server, gateway,
                                                                                  monkeypatch):
    (project / "data" / "factures").mkdir()
    (project / "data" / "factures" / "F1.pdf").write_bytes(b"%PDF-1.4 facture F1\n")
    configure(project, smtp_server.port, gateway, monkeypatch, invoices="data/factures")
    d2 = line(debtor="D2", name="Élodie Müller « SARL »", number="F2", due="2026-05-01", email="elodie@client.fr")
    folder = propose(project, D1, d2, D3)
    eml = (folder / "courriels" / "D1-first_reminder.eml").read_bytes()

    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 message(s) envoyé(s), 0 refusé(s)" in result.stdout

    # Two e-mails, each once, over STARTTLS with AUTH, from the profile's sender, with a Bcc in the envelope.
    assert len(smtp_server.received) == 2
    by_to = {rcpt[0]: (sender, rcpt, raw, login) for sender, rcpt, raw, login in smtp_server.received}
    sender, rcpt, raw, login = by_to["compta@client.fr"]
    assert sender == USER and login == USER.encode() and rcpt == ["compta@client.fr", "archive@atelier-lyonnais.fr"]
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    draft = BytesParser(policy=policy.default).parsebytes(eml)
    assert mail["From"].addresses[0].addr_spec == USER and mail["From"].addresses[0].display_name == "Atelier Lyonnais"
    assert mail["Reply-To"] == "compta@atelier-lyonnais.fr" and "Bcc" not in mail and "X-Unsent" not in mail
    assert mail["Subject"] == draft["Subject"] and mail["Message-ID"] == draft["Message-ID"]
    assert mail["Date"].datetime.year == time.localtime().tm_year  # dated when it left, not the run date
    body = mail.get_body(("plain",))
    assert body["Content-Transfer-Encoding"] == "quoted-printable" and body.get_content_charset() == "utf-8"
    assert body.get_content().replace("\r\n", "\n") == draft.get_body(("plain",)).get_content()  # CRLF on the wire
    assert all(b < 128 for b in raw)  # 7-bit on the wire: accents in quoted-printable and encoded words
    attached = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    assert attached == {"F1.pdf": b"%PDF-1.4 facture F1\n"}
    # D2's invoice is missing: a warning, the e-mail leaves anyway; accents survive quoted-printable.
    assert "F2.pdf" in result.stdout and "introuvable" in result.stdout
    mail2 = BytesParser(policy=policy.default).parsebytes(by_to["elodie@client.fr"][2])
    assert not list(mail2.iter_attachments()) and "reçu le règlement" in mail2.get_body(("plain",)).get_content()
    assert b"re=C3=A7u le r=C3=A8glement" in by_to["elodie@client.fr"][2].replace(b"=\r\n", b"")

    # One SMS, in E.164, with the bearer token and the sender name; its text is the proposed one.
    assert len(gateway.state["sent"]) == 1
    path, headers, sms = gateway.state["requests"][0]
    assert path == "/send" and headers["Authorization"] == f"Bearer {TOKEN}"
    assert sms["to"] == "+33698765432" and sms["sender"] == "ATELIERLYON"
    assert sms["text"] == (folder / "letters" / "D3-pre_due.txt").read_text(encoding="utf-8").strip()

    # The journal: each message accepted with its id and the server's answer, and its step confirmed.
    rows = messages(project)
    assert [(r[0], r[2], r[4]) for r in rows] == [("D1", "email", "accepted"), ("D2", "email", "accepted"),
                                                  ("D3", "sms", "accepted")]
    assert rows[0][5] == draft["Message-ID"] and rows[0][6].startswith("250 2.0.0 Ok: queued as Q")
    assert rows[2][5] == "sms-1" and rows[2][6].startswith("200 ")
    assert sorted(steps(project)) == [("D1", "F1", "first_reminder", "email"), ("D2", "F2", "first_reminder", "email"),
                                      ("D3", "F3", "pre_due", "sms")]
    # No secret anywhere: files, journal, output.
    written = everything_written(project, folder) + result.stdout.encode() + result.stderr.encode()
    assert PASSWORD.encode() not in written and TOKEN.encode() not in written
    assert b"envoy" in (folder / "envoi.txt").read_bytes()

    # Again: nothing is sent twice.
    again = run_main(project, "dunning", "send", "dist/run")
    assert again.returncode == 0 and len(smtp_server.received) == 2 and len(gateway.state["sent"]) == 1
    assert "déjà envoyé" in again.stdout

    # The next run proposes none of them again, and confirm of the same folder records nothing twice.
    confirmed = run_main(project, "dunning", "confirm", "dist/run")
    assert confirmed.returncode == 0, confirmed.stderr
    assert len(steps(project)) == 3
    write_ledger(project, D1, d2, D3)
    later = run_main(project, "dunning", B2B, "--ledger", "ledgers/test.csv", "--date", "2026-05-21", "-o", "dist/r2")
    assert later.returncode == 0, later.stderr
    assert {d["debtor_id"]: d["action"] for d in plan_of(project / "dist" / "r2")["debtors"]} == {
        "D1": "none", "D2": "none", "D3": "none"}


def test_refusals_are_reported_with_debtor_and_address_and_tried_again_next_time(project, smtp_server, gateway,
                                                                               monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    propose(project, D1, D3)
    smtp_server.refuse.add("compta@client.fr")
    gateway.state["refuse"].add("+33698765432")
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1
    assert "refusé : D1 (Client Un SARL), courriel à compta@client.fr" in result.stdout
    assert "550 5.1.1" in result.stdout and "refusé : D3 (Avant Échéance), SMS à +33698765432" in result.stdout
    assert [(r[0], r[4]) for r in messages(project)] == [("D1", "refused"), ("D3", "refused")]
    assert steps(project) == [] and smtp_server.received == []
    # Corrected on the server's side: the next send sends them.
    smtp_server.refuse.clear()
    gateway.state["refuse"].clear()
    again = run_main(project, "dunning", "send", "dist/run")
    assert again.returncode == 0, again.stdout
    assert len(smtp_server.received) == 1 and len(gateway.state["sent"]) == 1
    assert [(r[0], r[4]) for r in messages(project)] == [("D1", "accepted"), ("D3", "accepted")]


def test_temporary_failures_are_tried_again_then_left_unsent(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    propose(project, D1, D3)
    smtp_server.busy["compta@client.fr"] = 1  # greylisted once, then accepted
    gateway.state["busy"]["+33698765432"] = 5  # overloaded for longer than three tries
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1
    assert "451 4.7.1" in result.stdout and "nouvel essai" in result.stdout
    assert len(smtp_server.received) == 1
    assert "non envoyé : D3" in result.stdout and "503" in result.stdout
    assert len(gateway.state["requests"]) == 3 and gateway.state["sent"] == []
    assert [(r[0], r[4]) for r in messages(project)] == [("D1", "accepted"), ("D3", "failed")]
    gateway.state["busy"].clear()
    again = run_main(project, "dunning", "send", "dist/run")
    assert again.returncode == 0 and len(gateway.state["sent"]) == 1 and len(smtp_server.received) == 1


def test_a_server_that_cannot_be_reached_leaves_everything_unsent(project, gateway, monkeypatch):
    configure(project, free_port(), gateway, monkeypatch)  # nobody listens there
    propose(project, D1)
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1 and "injoignable" in result.stdout
    assert messages(project) == [] and steps(project) == []


def test_a_wrong_password_stops_the_batch_without_showing_it(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    monkeypatch.setenv("CGVKIT_SMTP_PASSWORD", "mauvais-" + PASSWORD)
    propose(project, D1, line(debtor="D2", number="F2", email="b@client.fr"))
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1 and "envoi arrêté" in result.stdout and "mot de passe refusé" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr and smtp_server.received == []


def test_a_missing_secret_is_named_never_shown(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    monkeypatch.delenv("CGVKIT_SMTP_PASSWORD")
    propose(project, D1)
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1 and "CGVKIT_SMTP_PASSWORD" in result.stderr and "sending-secret" in result.stderr
    assert not (project / "data" / "journal" / "atelier-lyonnais.sqlite").exists() or messages(project) == []


def test_dry_run_says_what_would_leave_and_writes_nothing(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    folder = propose(project, D1, D3)
    before = sorted(p.name for p in folder.rglob("*"))
    result = run_main(project, "dunning", "send", "dist/run", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "à envoyer : D1 (Client Un SARL), courriel à compta@client.fr" in result.stdout
    assert "à envoyer : D3 (Avant Échéance), SMS à +33698765432" in result.stdout
    assert smtp_server.received == [] and gateway.state["requests"] == []
    assert sorted(p.name for p in folder.rglob("*")) == before
    assert not (project / "data" / "journal" / "atelier-lyonnais.sqlite").exists()
    only = run_main(project, "dunning", "send", "dist/run", "--only", "D3")
    assert only.returncode == 0 and smtp_server.received == [] and len(gateway.state["sent"]) == 1


def test_an_edited_email_leaves_as_edited_but_never_to_someone_else(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    folder = propose(project, D1)
    eml = folder / "courriels" / "D1-first_reminder.eml"
    proposed = eml.read_bytes()
    eml.write_bytes(proposed.replace(b"To: compta@client.fr", b"To: compta@client.fr, autre@ailleurs.fr"))
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 1 and "[send-recipient]" in result.stderr and smtp_server.received == []
    assert "autre@ailleurs.fr" in result.stderr
    # Its subject corrected instead: sent as edited, and the journal keeps both hashes.
    eml.write_bytes(proposed.replace(b"Subject: ", b"Subject: [Rappel] "))
    result = run_main(project, "dunning", "send", "dist/run")
    assert result.returncode == 0, result.stderr
    ((_, rcpt, raw, _),) = smtp_server.received
    assert rcpt[0] == "compta@client.fr" and "autre@ailleurs.fr" not in rcpt and b"[Rappel]" in raw
    history = run_main(project, "dunning", "history", B2B, "D1")
    assert "modifié après la proposition" in history.stdout
    (project / "dist" / "vide").mkdir()
    result = run_main(project, "dunning", "send", "dist/vide")
    assert result.returncode == 1 and "plan.json" in result.stderr


def test_a_kill_mid_batch_sends_nothing_twice(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    d2 = line(debtor="D2", name="Deux", number="F2", email="deux@client.fr")
    d4 = line(debtor="D4", name="Quatre", number="F4", email="quatre@client.fr")
    propose(project, D1, d2, d4)
    smtp_server.hang.add("deux@client.fr")  # the server keeps D2's message: the sender is killed meanwhile
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--root", str(project), "dunning", "send",
                              "dist/run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project)
    try:
        assert smtp_server.hanging.wait(60), child.communicate(timeout=5)
        states = [(r[0], r[4]) for r in messages(project)]
        assert states == [("D1", "accepted"), ("D2", "sending")]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    smtp_server.released = True
    assert len(smtp_server.received) == 1

    after = run_main(project, "dunning", "send", "dist/run")
    assert after.returncode == 1  # the clerk must decide about D2
    assert "état inconnu : D2 (Deux), courriel à deux@client.fr" in after.stdout
    assert [r[1][0] for r in smtp_server.received] == ["compta@client.fr", "quatre@client.fr"]  # D1 not again
    still = run_main(project, "dunning", "send", "dist/run")
    assert still.returncode == 1 and len(smtp_server.received) == 2  # never resent by itself
    # The clerk checked: it did not leave. --resend sends it, once.
    smtp_server.hang.clear()
    resent = run_main(project, "dunning", "send", "dist/run", "--resend", "D2")
    assert resent.returncode == 0, resent.stdout
    assert [r[1][0] for r in smtp_server.received].count("deux@client.fr") == 1
    last = run_main(project, "dunning", "send", "dist/run")
    assert last.returncode == 0 and len(smtp_server.received) == 3
    assert [(r[0], r[4]) for r in messages(project)] == [("D1", "accepted"), ("D2", "accepted"), ("D4", "accepted")]


def test_send_automatic_sends_only_the_automatic_stages(project, smtp_server, gateway, monkeypatch):
    configure(project, smtp_server.port, gateway, monkeypatch)
    late = line(debtor="D5", name="Cinq", number="F5", due="2026-04-01", email="cinq@client.fr")  # firm letter
    folder = propose(project, D1, D3, late, extra=("--send-automatic",))
    assert len(smtp_server.received) == 1 and len(gateway.state["sent"]) == 1
    assert sorted((s[0], s[3]) for s in steps(project)) == [("D1", "email"), ("D3", "sms")]
    assert (folder / "envoi.txt").is_file()
    # The letter waits for the clerk: confirm records it, and only it.
    confirmed = run_main(project, "dunning", "confirm", "dist/run")
    assert confirmed.returncode == 0, confirmed.stderr
    assert sorted((s[0], s[2]) for s in steps(project)) == [("D1", "first_reminder"), ("D3", "pre_due"),
                                                           ("D5", "firm_letter")]


def test_phone_numbers_in_e164_and_landlines_fall_back(project):
    from cgvkit.core.phone import e164, mobile

    assert e164("06 12 34 56 78") == e164("+33 6 12 34 56 78") == e164("0033612345678") == "+33612345678"
    assert e164("+33 (0)7 12 34 56 78") == "+33712345678" and e164("07.12.34.56.78") == "+33712345678"
    assert e164("+44 7700 900123") == "+447700900123" and mobile("+447700900123")
    assert e164("04 78 12 34 56") == "+33478123456" and not mobile("+33478123456")
    assert e164("12345") is None and e164("612345678") is None and e164("+33 6 12") is None
    fixed_with_mail = line(debtor="D6", name="Fixe", number="F6", due="2026-05-23", phone="04 78 12 34 56",
                           email="fixe@client.fr")
    fixed_alone = line(debtor="D7", name="Fixe Seul", number="F7", due="2026-05-23", phone="04 78 12 34 57", email="")
    folder = propose(project, D3, fixed_with_mail, fixed_alone)
    data = plan_of(folder)
    warnings = {d["debtor_id"]: " ".join(d["warnings"]) for d in data["debtors"]}
    assert "numéro +33478123456 fixe" in warnings["D6"] and "envoyé par courriel à la place" in warnings["D6"]
    assert "appeler le débiteur" in warnings["D7"]
    assert {(m["debtor_id"], m["channel"], m["to"]) for m in data["outbox"]["messages"]} == {
        ("D3", "sms", "+33698765432"), ("D6", "email", "fixe@client.fr")}
    sms = (folder / "sms.csv").read_text(encoding="utf-8-sig")
    assert "+33698765432" in sms and "+3347812345" not in sms


@pytest.mark.parametrize("block, message", [
    ("email: {host: smtp.example.fr, port: 25, security: none, from: a@b.fr}", "serveur local"),
    ("sms: {url: \"http://sms.example.fr/send\", token_env: T, sender: X}", "https://"),
    ("invoices_dir: ../factures", "sort du projet"),
    ("email: {host: 127.0.0.1, port: 25, security: none, from: \"A <a@b.fr>\\nBcc: x@y.fr\"}", "caractères invisibles"),
    ("email: {host: smtp.example.fr, port: 587, security: starttls, from: a@b.fr, password_env: \"x; rm\"}",
     "password_env"),
])
def test_the_profile_refuses_clear_text_off_this_machine_and_paths_out(project, block, message):
    company = project / B2B
    company.write_text(company.read_text(encoding="utf-8") + f"sending:\n  {block}\n", encoding="utf-8")
    result = run_main(project, "validate", B2B)
    assert result.returncode == 1 and message in result.stdout + result.stderr


def test_eml_drafts_are_marked_unsent(project):
    folder = propose(project, D1)
    draft = BytesParser(policy=policy.default).parsebytes((folder / "courriels" / "D1-first_reminder.eml").read_bytes())
    assert draft["X-Unsent"] == "1" and draft["Date"] == "Wed, 20 May 2026 09:00:00 +0200"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_on_465_and_a_local_server_without_encryption(project, certificate, gateway, monkeypatch):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    box, plain = Mailbox(), Mailbox()
    tls = Controller(box, hostname="127.0.0.1", port=free_port(), ssl_context=context, auth_required=True,
                     auth_require_tls=False, authenticator=authenticator)
    local = Controller(plain, hostname="127.0.0.1", port=free_port())
    tls.start()
    local.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))
    try:
        configure(project, tls.port, gateway, monkeypatch)
        company = project / B2B
        company.write_text(company.read_text(encoding="utf-8").replace("security: starttls", "security: ssl"),
                           encoding="utf-8")
        propose(project, D1)
        result = run_main(project, "dunning", "send", "dist/run")
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(box.received) == 1 and box.received[0][3] == USER.encode()
        # security: none towards 127.0.0.1 (the manual's test server): no STARTTLS, no AUTH.
        text = company.read_text(encoding="utf-8")
        text = text[:text.index("sending:")] + (f"sending:\n  email: {{host: 127.0.0.1, port: {local.port}, "
                                                 "security: none, from: \"Essai <essai@exemple.fr>\"}\n")
        company.write_text(text, encoding="utf-8")
        propose(project, line(debtor="D2", number="F2", email="deux@client.fr"), folder="dist/run2")
        result = run_main(project, "dunning", "send", "dist/run2")
        assert result.returncode == 0, result.stdout + result.stderr
        assert [r[0] for r in plain.received] == ["essai@exemple.fr"] and plain.received[0][3] is None
    finally:
        tls.stop()
        local.stop()


def test_the_report_says_what_the_kit_sends_itself(project):
    from html.parser import HTMLParser

    folder = propose(project, D1, D3)

    class Text(HTMLParser):
        text = ""

        def handle_data(self, data):
            self.text += data

    page = Text()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    text = " ".join(page.text.replace("\u00a0", " ").replace("\u202f", " ").split())
    assert "Courriels et SMS que le kit envoie lui-même : python build.py dunning send dist/run" in text
    assert "dont 2 des étapes automatiques, qui partent d’eux-mêmes avec --send-automatic" in text
