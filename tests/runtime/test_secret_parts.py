"""Issue 22: a secret is redacted in all its parts. The values are loaded the way every
exporter loads them (the runtime's config Loader, from the file and from the environment);
the texts are what drivers and servers echo back: the password alone, percent-decoded, the
token without its "Bearer", a cookie's value without its name."""
from lookout.records import record, field

from lookout.exporters.runtime import Secret, redact
from lookout.exporters.runtime.config import Loader


@record
class Conf:
    dsn: Secret = field(default_factory=Secret)
    url: Secret = field(default_factory=Secret)
    header_value: Secret = field(default_factory=Secret)
    cookie: Secret = field(default_factory=Secret)
    libpq: Secret = field(default_factory=Secret)


def test_every_part_of_a_secret_is_redacted():
    Loader("Z", {"Z_HEADER_VALUE": "Bearer tok-abc-88231"}).load(Conf, {
        "dsn": "postgresql://ticks:Pa%2Fss-word-9931@db:5432/crypto_data",
        "url": "https://hook-user:hook-pass-4471@chat.example/hook",
        "cookie": "connect.sid=s%3Asess-id-55102.sig",
        "libpq": "host=db user=ticks password=libpq-pw-2288 dbname=x",
    })
    for echoed in ("Pa/ss-word-9931", "Pa%2Fss-word-9931", "hook-pass-4471", "tok-abc-88231",
                   "s:sess-id-55102.sig", "s%3Asess-id-55102.sig", "libpq-pw-2288"):
        text = f'FATAL: authentication failed near "{echoed}" (retrying)'
        assert echoed not in redact(text), echoed
        assert redact(text).startswith("FATAL: authentication failed near")
