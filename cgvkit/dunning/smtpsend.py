"""E-mails handed to the company's SMTP server (`sending.email`): one connection per message, TLS
certificates verified (the system's authorities, or the file named by SSL_CERT_FILE).

The server's answer decides: 2xx accepted, 5xx refused for good (`Refused`), 4xx, a timeout or a
lost connection is temporary (`Temporary`: tried again later). A login or certificate refused stops
the whole batch (`Stop`). The password is only passed to `login`: no message, answer or error
carries it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage


class Refused(Exception):
    """The server (or gateway) refused this message for good: sending it again changes nothing."""


class Temporary(Exception):
    """The message was not accepted this time (busy server, timeout, lost connection)."""


class Stop(Exception):
    """Nothing can be sent with this configuration (login or certificate refused): the batch stops."""


def answer(code: int, text: bytes | str) -> str:
    """A server's answer as recorded and shown: one line, at most 300 characters."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return " ".join(f"{code} {words}".split())[:300]


def _check(code: int, text: bytes, ok: tuple[int, ...] = (250, 251)) -> None:
    if code not in ok:
        raise (Refused if code >= 500 else Temporary)(answer(code, text))


class SmtpServer:
    def __init__(self, config: dict[str, object], password: str | None, timeout: float = 30):
        self.host, self.port, self.security = str(config["host"]), int(str(config["port"])), str(config["security"])
        self.user, self.password, self.timeout = str(config.get("user") or ""), password, timeout

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise Stop(f"le serveur {self.host} ne propose pas STARTTLS : courriels non envoyés (rien "
                               "ne part en clair)")
                conn.starttls(context=context)
                conn.ehlo()
            if self.user:
                self._login(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        """PLAIN when offered (one try: a refused password is not tried again with other mechanisms),
        else whatever smtplib chooses."""
        if not conn.has_extn("auth"):
            raise Stop(f"le serveur {self.host} ne propose pas d’authentification (AUTH) : vérifiez le port")
        if "PLAIN" in conn.esmtp_features["auth"].upper().split():
            conn.user, conn.password = self.user, self.password or ""
            conn.auth("PLAIN", conn.auth_plain)
        else:
            conn.login(self.user, self.password or "")

    def deliver(self, message: EmailMessage, sender: str, to: str, bcc: list[str],
                handing: Callable[[], None]) -> tuple[str, list[str]]:
        """Hand `message` to the server; `handing()` is called once connected, just before the server may
        accept it. Returns (the server's answer, warnings)."""
        try:
            conn = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise Stop(f"identifiant ou mot de passe refusé par le serveur {self.host} ({answer(exc.smtp_code, b'')}"
                       ")") from None
        except ssl.SSLCertVerificationError:
            raise Stop(f"certificat du serveur {self.host} refusé (non vérifiable) : courriels non envoyés") from None
        except smtplib.SMTPResponseException as exc:
            raise (Refused if exc.smtp_code >= 500 else Temporary)(answer(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Temporary(f"serveur {self.host}:{self.port} injoignable ({type(exc).__name__})") from None
        warnings = []
        try:
            handing()
            options = ["BODY=8BITMIME"] if conn.has_extn("8bitmime") else []
            _check(*conn.mail(sender, options))
            _check(*conn.rcpt(to))
            for copy in bcc:
                code, text = conn.rcpt(copy)
                if code not in (250, 251):
                    warnings.append(f"copie cachée à {copy} refusée ({answer(code, text)})")
            code, text = conn.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
            _check(code, text)
            return answer(code, text), warnings
        except smtplib.SMTPResponseException as exc:
            raise (Refused if exc.smtp_code >= 500 else Temporary)(answer(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Temporary(f"connexion au serveur {self.host} perdue ({type(exc).__name__})") from None
        finally:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
