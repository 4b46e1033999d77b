"""SMS handed to the company's gateway (`sending.sms`): one HTTPS POST of JSON
`{"to": "+33612345678", "text": "…", "sender": "…"}` with `Authorization: Bearer <token>`.

2xx accepted, 4xx refused for good, 5xx, a timeout or a refused connection temporary. A redirection
is refused: the token is never sent to another address than the one configured.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO

from cgvkit.dunning.smtpsend import Refused, Stop, Temporary, answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> None:
        return None  # urllib then raises HTTPError with the 3xx code


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_sms(url: str, token: str, to: str, text: str, sender: str, timeout: float = 30) -> tuple[str, str | None]:
    """(the gateway's answer, its message id when it gives one)."""
    body = json.dumps({"to": to, "text": text, "sender": sender}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read(4000)
    except urllib.error.HTTPError as exc:
        said = answer(exc.code, exc.read(300) if exc.fp else exc.reason or "")
        if exc.code in (401, 403):
            raise Stop(f"jeton refusé par la passerelle SMS ({said})") from None
        if 300 <= exc.code < 500:
            raise Refused(said) from None
        raise Temporary(said) from None
    except (urllib.error.URLError, OSError) as exc:
        raise Temporary(f"passerelle SMS injoignable ({type(getattr(exc, 'reason', exc)).__name__})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    found = data.get("id") or data.get("message_id") if isinstance(data, dict) else None
    return answer(status, raw[:300]), str(found)[:200] if found is not None else None
